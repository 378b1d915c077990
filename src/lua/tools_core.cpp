// The tools that connect the REPL to the run: print, FINAL, FINAL_VAR, llm_query and
// llm_query_batched. Values are read with raw access only, so a hostile metatable on _G or
// on a table cannot run code while rlm reads an answer.
#include "query_limits.hpp"
#include "raise.hpp"
#include "sandbox.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace rlm::lua {

namespace {

constexpr std::size_t k_max_answer_bytes = 1 << 20;
// The prompt limits (query_limits.hpp): a prompt far beyond any model's context window is a
// bug or an attack, and must not make the parent hold gigabytes; 8 MB a batch stays far
// under the protocol's frame limit even when JSON escapes every byte six-fold.
constexpr int k_max_render_depth = 4;

std::string render_number(lua_State* L, int index) {
  if (lua_isinteger(L, index) != 0) return std::to_string(lua_tointeger(L, index));
  const double value = lua_tonumber(L, index);
  if (value == static_cast<double>(static_cast<long long>(value)) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

// Writes a value as answer text within one byte budget shared by every level, so neither a
// wide nor a deep nor a self-containing table can make the work or the text grow past it.
// Never calls a metamethod.
class Renderer {
public:
  Renderer(lua_State* L, std::string& out, std::vector<const void*>& open)
      : m_L(L), m_out(out), m_open(open) {
    m_open.clear();
  }

  void value(int index, int depth) {
    if (full()) return;
    switch (lua_type(m_L, index)) {
    case LUA_TSTRING: {
      std::size_t size = 0;
      const char* text = lua_tolstring(m_L, index, &size);
      append(std::string_view(text, size));
      break;
    }
    case LUA_TNUMBER: append(render_number(m_L, index)); break;
    case LUA_TBOOLEAN: append(lua_toboolean(m_L, index) != 0 ? "true" : "false"); break;
    case LUA_TNIL: append("nil"); break;
    case LUA_TTABLE: table(index, depth); break;
    default: append(fmt::format("({})", luaL_typename(m_L, index))); break;
    }
  }

  bool full() const { return m_out.size() >= k_max_answer_bytes; }

private:
  void append(std::string_view text) {
    m_out.append(text.substr(0, k_max_answer_bytes - std::min(m_out.size(), k_max_answer_bytes)));
  }

  // An array becomes one item per line (at the top) or "{a, b}" (nested); other keys
  // "key: value" lines or "{k = v}", in the order lua_next gives them.
  void table(int index, int depth) {
    index = lua_absindex(m_L, index);
    const void* self = lua_topointer(m_L, index);
    if (depth >= k_max_render_depth || std::ranges::find(m_open, self) != m_open.end()) {
      append("{...}");
      return;
    }
    m_open.push_back(self);
    const bool top = depth == 0;
    if (!top) append("{");
    const auto length = static_cast<lua_Integer>(lua_rawlen(m_L, index));
    bool first = true;
    for (lua_Integer i = 1; i <= length && !full(); ++i) {
      append(first ? "" : (top ? "\n" : ", "));
      first = false;
      lua_rawgeti(m_L, index, i);
      value(-1, depth + 1);
      lua_pop(m_L, 1);
    }
    lua_pushnil(m_L);
    while (!full() && lua_next(m_L, index) != 0) {
      const bool array_key = lua_isinteger(m_L, -2) != 0 && lua_tointeger(m_L, -2) >= 1 &&
                             lua_tointeger(m_L, -2) <= length;
      if (!array_key) {
        append(first ? "" : (top ? "\n" : ", "));
        first = false;
        if (lua_type(m_L, -2) == LUA_TSTRING || lua_type(m_L, -2) == LUA_TNUMBER) {
          value(-2, depth + 1);
        } else {
          append(fmt::format("({})", luaL_typename(m_L, -2)));
        }
        append(top ? ": " : " = ");
        value(-1, depth + 1);
      }
      lua_pop(m_L, 1);
    }
    if (full()) lua_settop(m_L, index); // lua_next was left with a key on the stack
    if (!top) append("}");
    m_open.pop_back();
  }

  lua_State* m_L;
  std::string& m_out;
  std::vector<const void*>& m_open; // tables being written, to cut cycles (the sandbox's)
};
// Alive while Lua API calls run (raise.hpp): it must own nothing.
static_assert(std::is_trivially_destructible_v<Renderer>);

// Converts the value at `index` into the answer. Runs inside a protected call (it may
// allocate), with the rendered text in the sandbox's answer buffer.
int set_final_from(lua_State* L, int index, const char* how) {
  if (lua_isnoneornil(L, index)) {
    return luaL_error(L, "%s needs a value: FINAL(answer) or FINAL_VAR(\"name\")", how);
  }
  auto& sandbox = Sandbox::of(L);
  auto& text = sandbox.answer_buffer();
  text.clear();
  Renderer renderer(L, text, sandbox.open_tables());
  renderer.value(index, 0);
  if (renderer.full()) text += "\n[answer cut at 1 MB]";
  sandbox.set_final(std::move(text));
  text = {};
  return 0;
}

// The prompts of the table at 1, checked, into `prompts` (the sandbox's); raises on the
// first that is not a non-empty string or takes the batch over its limits.
void gather_prompts(lua_State* L, std::vector<std::string>& prompts) {
  prompts.clear();
  std::size_t total = 0;
  const auto count = static_cast<lua_Integer>(lua_rawlen(L, 1));
  if (count > static_cast<lua_Integer>(k_max_batch_prompts)) {
    luaL_error(L,
               "llm_query_batched: %d prompts are more than the 1000 a batch may hold; "
               "merge pieces into fewer, larger prompts",
               static_cast<int>(std::min<lua_Integer>(count, INT32_MAX)));
  }
  for (lua_Integer i = 1; i <= count; ++i) {
    lua_rawgeti(L, 1, i);
    std::size_t size = 0;
    const char* prompt = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &size) : nullptr;
    if (prompt == nullptr) {
      luaL_error(L, "llm_query_batched: prompt %d is a %s; pass a table of strings",
                 static_cast<int>(i), luaL_typename(L, -1));
    }
    total += size;
    if (size == 0 || size > k_max_prompt_bytes || total > k_max_batch_bytes) {
      prompts.clear();
      if (size == 0) luaL_error(L, "llm_query_batched: prompt %d is empty", static_cast<int>(i));
      luaL_error(L,
                 "llm_query_batched: prompt %d takes the batch over the limit (4 MB a prompt, "
                 "8 MB a batch); send smaller slices or fewer at once",
                 static_cast<int>(i));
    }
    prompts.emplace_back(prompt, size);
    lua_pop(L, 1);
  }
}

// The answers as a table: the text, or "error: ..." in a failed prompt's slot.
void push_answers(lua_State* L, const std::vector<QueryResult>& results) {
  lua_createtable(L, static_cast<int>(results.size()), 0);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) {
      lua_pushlstring(L, results[i]->data(), results[i]->size());
    } else {
      lua_pushfstring(L, "error: %s", results[i].error().c_str());
    }
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

} // namespace

namespace tools {

int print(lua_State* L) {
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

int final(lua_State* L) { return set_final_from(L, 1, "FINAL"); }

int final_var(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_pushglobaltable(L);
  lua_pushvalue(L, 1);
  // Raw: a metatable on _G cannot intervene. `context` and `documents` are served, not stored.
  if (lua_rawget(L, -2) == LUA_TNIL && !Sandbox::of(L).document_access().push_served(L, 1)) {
    return luaL_error(
        L, "FINAL_VAR: there is no variable named '%s'; set it first, or call FINAL(value)", name);
  }
  return set_final_from(L, -1, "FINAL_VAR");
}

int llm_query(lua_State* L) {
  Sandbox::of(L).check_deadline(L);
  std::size_t size = 0;
  const char* prompt = luaL_checklstring(L, 1, &size);
  if (size == 0) return luaL_error(L, "llm_query: the prompt is empty");
  if (size > k_max_prompt_bytes) {
    return luaL_error(L,
                      "llm_query: a prompt of %d MB is over the 4 MB limit; send a smaller slice",
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

int llm_query_batched(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  auto& sandbox = Sandbox::of(L);
  sandbox.check_deadline(L);
  gather_prompts(L, sandbox.prompts());
  sandbox.query_host();
  push_answers(L, sandbox.query_results());
  return 1;
}

} // namespace tools

} // namespace rlm::lua
