// The tools that connect the REPL to the run: print, FINAL, FINAL_VAR, llm_query and
// llm_query_batched. Values are read with raw access only, so a hostile metatable on _G or
// on a table cannot run code while rlm reads an answer.
#include "sandbox.hpp"

#include <lua.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace rlm::lua {

namespace {

constexpr std::size_t k_max_answer_bytes = 1 << 20;
// A prompt far beyond any model's context window is a bug or an attack; either way it must
// not make the parent process hold gigabytes.
constexpr std::size_t k_max_prompt_bytes = 8 << 20;
constexpr std::size_t k_max_batch_bytes = 64 << 20;
constexpr int k_max_render_depth = 4;

int tool_print(lua_State* L) {
  auto& sandbox = Sandbox::of(L);
  const int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    std::size_t size = 0;
    const char* text = luaL_tolstring(L, i, &size); // may run __tostring: Lua code, hooked
    if (i > 1) sandbox.append_output("\t");
    sandbox.append_output(std::string_view(text, size));
    lua_pop(L, 1);
  }
  sandbox.append_output("\n");
  return 0;
}

std::string render_number(lua_State* L, int index) {
  if (lua_isinteger(L, index) != 0) return std::to_string(lua_tointeger(L, index));
  const double value = lua_tonumber(L, index);
  if (value == static_cast<double>(static_cast<long long>(value)) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

void render_value(lua_State* L, int index, int depth, std::string& out);

// A table as text without calling any metamethod: an array becomes one item per line (at
// the top) or "{a, b}" (nested); other tables "key: value" lines or "{k = v}".
void render_table(lua_State* L, int index, int depth, std::string& out) {
  index = lua_absindex(L, index);
  if (depth >= k_max_render_depth) {
    out += "{...}";
    return;
  }
  const auto length = static_cast<lua_Integer>(lua_rawlen(L, index));
  std::vector<std::pair<std::string, std::string>> fields; // non-array entries, sorted below
  lua_pushnil(L);
  while (lua_next(L, index) != 0 && out.size() < k_max_answer_bytes) {
    const bool array_key =
        lua_isinteger(L, -2) != 0 && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= length;
    if (!array_key) {
      std::string key;
      std::string value;
      if (lua_type(L, -2) == LUA_TSTRING)
        key = lua_tostring(L, -2);
      else if (lua_type(L, -2) == LUA_TNUMBER)
        key = render_number(L, -2);
      else
        key = fmt::format("({})", luaL_typename(L, -2));
      render_value(L, -1, depth + 1, value);
      fields.emplace_back(std::move(key), std::move(value));
    }
    lua_pop(L, 1);
  }
  std::ranges::sort(fields);
  const bool top = depth == 0;
  if (!top) out += "{";
  for (lua_Integer i = 1; i <= length && out.size() < k_max_answer_bytes; ++i) {
    if (i > 1) out += top ? "\n" : ", ";
    lua_rawgeti(L, index, i);
    render_value(L, -1, depth + 1, out);
    lua_pop(L, 1);
  }
  for (std::size_t i = 0; i < fields.size() && out.size() < k_max_answer_bytes; ++i) {
    if (length > 0 || i > 0) out += top ? "\n" : ", ";
    out += top ? fmt::format("{}: {}", fields[i].first, fields[i].second)
               : fmt::format("{} = {}", fields[i].first, fields[i].second);
  }
  if (!top) out += "}";
}

void render_value(lua_State* L, int index, int depth, std::string& out) {
  switch (lua_type(L, index)) {
  case LUA_TSTRING: {
    std::size_t size = 0;
    const char* text = lua_tolstring(L, index, &size);
    out.append(text, std::min(size, k_max_answer_bytes));
    break;
  }
  case LUA_TNUMBER: out += render_number(L, index); break;
  case LUA_TBOOLEAN: out += lua_toboolean(L, index) != 0 ? "true" : "false"; break;
  case LUA_TNIL: out += "nil"; break;
  case LUA_TTABLE: render_table(L, index, depth, out); break;
  default: out += fmt::format("({})", luaL_typename(L, index)); break;
  }
  if (out.size() > k_max_answer_bytes) out.resize(k_max_answer_bytes);
}

// Converts the value at `index` into the answer. Runs inside a protected call (it may
// allocate), with the rendered text in the sandbox's scratch buffer.
int set_final_from(lua_State* L, int index, const char* how) {
  if (lua_isnoneornil(L, index)) {
    return luaL_error(L, "%s needs a value: FINAL(answer) or FINAL_VAR(\"name\")", how);
  }
  auto& sandbox = Sandbox::of(L);
  auto& text = sandbox.scratch();
  text.clear();
  render_value(L, index, 0, text);
  sandbox.set_final(std::move(text));
  text = {};
  return 0;
}

int tool_final(lua_State* L) { return set_final_from(L, 1, "FINAL"); }

int tool_final_var(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_pushglobaltable(L);
  lua_pushvalue(L, 1);
  if (lua_rawget(L, -2) == LUA_TNIL) { // raw: a metatable on _G cannot intervene
    return luaL_error(
        L, "FINAL_VAR: there is no variable named '%s'; set it first, or call FINAL(value)", name);
  }
  return set_final_from(L, -1, "FINAL_VAR");
}

int tool_llm_query(lua_State* L) {
  std::size_t size = 0;
  const char* prompt = luaL_checklstring(L, 1, &size);
  if (size == 0) return luaL_error(L, "llm_query: the prompt is empty");
  if (size > k_max_prompt_bytes) {
    return luaL_error(L,
                      "llm_query: a prompt of %d MB is over the 8 MB limit; send a smaller slice",
                      static_cast<int>(size >> 20));
  }
  auto& sandbox = Sandbox::of(L);
  sandbox.prompts().assign(1, std::string(prompt, size));
  sandbox.query_host();
  const auto& result = sandbox.query_results().front();
  if (!result) {
    return luaL_error(L, "llm_query failed: %s", result.error().c_str());
  }
  lua_pushlstring(L, result->data(), result->size());
  return 1;
}

int tool_llm_query_batched(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  auto& sandbox = Sandbox::of(L);
  auto& prompts = sandbox.prompts();
  prompts.clear();
  std::size_t total = 0;
  const auto count = static_cast<lua_Integer>(lua_rawlen(L, 1));
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, 1, i);
    std::size_t size = 0;
    const char* prompt = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &size) : nullptr;
    if (prompt == nullptr) {
      return luaL_error(L, "llm_query_batched: prompt %d is a %s; pass a table of strings",
                        static_cast<int>(i), luaL_typename(L, -1));
    }
    total += size;
    if (size > k_max_prompt_bytes || total > k_max_batch_bytes) {
      prompts.clear();
      return luaL_error(
          L,
          "llm_query_batched: prompt %d takes the batch over the limit (8 MB a prompt, "
          "64 MB a batch); send smaller slices or fewer at once",
          static_cast<int>(i));
    }
    prompts.emplace_back(prompt, size);
    lua_pop(L, 1);
  }
  sandbox.query_host();
  lua_createtable(L, static_cast<int>(count), 0);
  const auto& results = sandbox.query_results();
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) {
      lua_pushlstring(L, results[i]->data(), results[i]->size());
    } else {
      lua_pushfstring(L, "error: %s", results[i].error().c_str());
    }
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

} // namespace

void register_core_tools(lua_State* L) {
  static constexpr luaL_Reg tools[] = {{"print", tool_print},
                                       {"FINAL", tool_final},
                                       {"FINAL_VAR", tool_final_var},
                                       {"llm_query", tool_llm_query},
                                       {"llm_query_batched", tool_llm_query_batched},
                                       {nullptr, nullptr}};
  lua_pushglobaltable(L);
  luaL_setfuncs(L, tools, 0);
  lua_pop(L, 1);
}

} // namespace rlm::lua
