#include "sandbox.hpp"

#include "regex_cache.hpp"

#include <lua.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <sys/time.h>

namespace rlm::lua {

namespace {

constexpr int k_hook_instructions = 1000;
constexpr lua_Integer k_max_table_move = lua_Integer{1} << 26;

using Clock = std::chrono::steady_clock;

// --- wrappers of standard functions -------------------------------------------------

// pcall and xpcall: as Lua's own (with continuations, so coroutines may yield across
// them), except that a stopping cell's error is raised again instead of being returned.
int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    Sandbox::of(L).note_failure(L, status);
    if (Sandbox::of(L).stopping()) return lua_error(L);
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

int sandbox_pcall(lua_State* L) {
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  const int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
  return finish_pcall(L, status, 0);
}

// The message handler xpcall installs: the user's handler runs only for ordinary errors.
int xpcall_handler(lua_State* L) {
  if (Sandbox::of(L).stopping()) return 1; // the error object, untouched
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int sandbox_xpcall(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, xpcall_handler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);
  lua_pushvalue(L, 1);
  lua_rotate(L, 3, 2);
  const int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
  return finish_pcall(L, status, 2);
}

// coroutine.resume returns (false, err) for errors inside the coroutine: re-raise a stop.
int sandbox_resume(lua_State* L) {
  const int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  if (lua_toboolean(L, 1) == 0) Sandbox::of(L).note_failure(L, LUA_ERRRUN);
  if (Sandbox::of(L).stopping() && lua_toboolean(L, 1) == 0) {
    lua_settop(L, 2);
    return lua_error(L);
  }
  return lua_gettop(L);
}

int sandbox_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    // Lua marks an object for finalization when its new metatable has any raw, non-nil
    // __gc (even `false`, replaced by a function later), and finalizers run with hooks
    // off: refuse them outright.
    lua_pushliteral(L, "__gc");
    const bool finalizer = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    if (finalizer) return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// load(chunk [, chunkname [, mode [, env]]]): text only, strings only, size-capped.
int sandbox_load(lua_State* L) {
  std::size_t size = 0;
  const char* source = lua_tolstring(L, 1, &size);
  if (source == nullptr) {
    return luaL_error(L, "load: pass the code as a string (reader functions are not allowed)");
  }
  const auto limit = static_cast<std::size_t>(Sandbox::of(L).limits().max_source_bytes);
  if (size > limit)
    return luaL_error(L, "load: chunk of %d bytes is over the limit of %d", static_cast<int>(size),
                      static_cast<int>(limit));
  const char* name = luaL_optstring(L, 2, "=load");
  const int status = luaL_loadbufferx(L, source, size, name, "t");
  if (status != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (!lua_isnone(L, 4)) {
    lua_pushvalue(L, 4);
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  }
  return 1;
}

// string.rep: Lua's own loops n times even when the result is empty, and builds results
// up to the memory cap in one C call; refuse what cannot be done quickly.
int sandbox_rep(lua_State* L) {
  std::size_t length = 0;
  std::size_t separator = 0;
  luaL_checklstring(L, 1, &length);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &separator);
  if (n <= 0 || (length == 0 && separator == 0)) {
    lua_pushliteral(L, "");
    return 1;
  }
  const auto limit = static_cast<double>(Sandbox::of(L).limits().memory_limit_bytes);
  const double total = static_cast<double>(n) * static_cast<double>(length + separator);
  if (total > limit) {
    return luaL_error(L, "string.rep: a result of %d MB is over the memory limit",
                      static_cast<int>(total / 1048576.0));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// string.find: plain searches use memmem (linear) instead of Lua's naive O(n*m) search.
bool has_pattern_specials(const char* pattern, std::size_t size) {
  return std::strpbrk(pattern, "^$*+?.([%-") != nullptr || std::strlen(pattern) != size;
}

int sandbox_find(lua_State* L) {
  std::size_t length = 0;
  std::size_t pattern_length = 0;
  const char* subject = luaL_checklstring(L, 1, &length);
  const char* pattern = luaL_checklstring(L, 2, &pattern_length);
  const bool plain = lua_toboolean(L, 4) != 0 || !has_pattern_specials(pattern, pattern_length);
  if (!plain) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
  }
  lua_Integer init = luaL_optinteger(L, 3, 1);
  const auto len = static_cast<lua_Integer>(length);
  if (init < 0) init = std::max<lua_Integer>(len + init + 1, 1);
  if (init == 0) init = 1;
  if (init > len + 1) {
    lua_pushnil(L);
    return 1;
  }
  const auto start = static_cast<std::size_t>(init - 1);
  const void* found = memmem(subject + start, length - start, pattern, pattern_length);
  if (found == nullptr) {
    lua_pushnil(L);
    return 1;
  }
  const auto at = static_cast<lua_Integer>(static_cast<const char*>(found) - subject);
  lua_pushinteger(L, at + 1);
  lua_pushinteger(L, at + static_cast<lua_Integer>(pattern_length));
  return 2;
}

int sandbox_table_move(lua_State* L) {
  const lua_Integer first = luaL_checkinteger(L, 2);
  const lua_Integer last = luaL_checkinteger(L, 3);
  if (last >= first && (last - first >= k_max_table_move || last - first < 0)) {
    return luaL_error(L, "table.move: a range of more than %d elements is not allowed",
                      static_cast<int>(k_max_table_move));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

int sandbox_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "count");
  if (std::strcmp(option, "count") != 0) {
    return luaL_error(L, "collectgarbage: only \"count\" is allowed in the sandbox");
  }
  const int kilobytes = lua_gc(L, LUA_GCCOUNT);
  const int bytes = lua_gc(L, LUA_GCCOUNTB);
  lua_pushnumber(L, static_cast<lua_Number>(kilobytes) + static_cast<lua_Number>(bytes) / 1024.0);
  return 1;
}

// Replaces global table field `name` of table at `index` with a C closure whose upvalue
// is the original function.
void wrap_field(lua_State* L, int index, const char* name, lua_CFunction wrapper) {
  index = lua_absindex(L, index);
  lua_getfield(L, index, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, index, name);
}

void remove_field(lua_State* L, int index, const char* name) {
  index = lua_absindex(L, index);
  lua_pushnil(L);
  lua_setfield(L, index, name);
}

} // namespace

// --- the sandbox ---------------------------------------------------------------------

namespace {

// The state the SIGALRM handler re-hooks: a signal handler can reach nothing else. Set
// only by the worker's one alarmed sandbox. (lua_sethook is safe to call from a handler.)
std::atomic<lua_State*> g_alarmed_state{nullptr};

} // namespace

void Sandbox::on_alarm(int /*signal*/) {
  if (lua_State* L = g_alarmed_state.load()) lua_sethook(L, &Sandbox::on_hook, LUA_MASKCOUNT, 1);
}

void Sandbox::arm_alarm() {
  if (!m_alarm) return;
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(m_deadline - Clock::now()).count();
  const auto usec = std::max<long long>(left, 1000);
  itimerval timer{};
  timer.it_value.tv_sec = static_cast<time_t>(usec / 1'000'000);
  timer.it_value.tv_usec = static_cast<suseconds_t>(usec % 1'000'000);
  ::setitimer(ITIMER_REAL, &timer, nullptr);
}

void Sandbox::disarm_alarm() {
  if (!m_alarm) return;
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  lua_sethook(m_state, &Sandbox::on_hook, LUA_MASKCOUNT, k_hook_instructions);
}

Sandbox::Sandbox(const Limits& limits, Host& host, bool alarm)
    : m_limits(limits), m_host(host), m_alarm(alarm), m_regex(std::make_unique<RegexCache>()) {
  m_state = lua_newstate(&Sandbox::allocate, this);
  if (m_state == nullptr) throw std::bad_alloc();
  lua_atpanic(m_state, [](lua_State* L) -> int {
    // An error outside any protected call: nothing can be unwound safely. In the worker
    // this ends the process, and the parent reports the REPL as crashed and restarts it.
    const char* message = lua_tostring(L, -1);
    std::fprintf(stderr, "rlm lua worker: unprotected Lua error: %s\n",
                 message != nullptr ? message : "?");
    std::abort();
  });
  *static_cast<Sandbox**>(lua_getextraspace(m_state)) = this;
  open_libraries();
  lua_sethook(m_state, &Sandbox::on_hook, LUA_MASKCOUNT, k_hook_instructions);
  if (m_alarm) {
    g_alarmed_state = m_state;
    struct sigaction action {};
    action.sa_handler = &Sandbox::on_alarm;
    action.sa_flags = SA_RESTART; // a read waiting for the parent simply goes on
    ::sigaction(SIGALRM, &action, nullptr);
  }
}

Sandbox::~Sandbox() {
  if (m_state != nullptr) lua_close(m_state);
}

Sandbox& Sandbox::of(lua_State* L) { return **static_cast<Sandbox**>(lua_getextraspace(L)); }

void* Sandbox::allocate(void* self, void* block, std::size_t old_size, std::size_t new_size) {
  auto& sandbox = *static_cast<Sandbox*>(self);
  const std::size_t old =
      block != nullptr ? old_size : 0; // without a block, old_size is a type tag
  if (new_size == 0) {
    std::free(block);
    sandbox.m_used -= old;
    return nullptr;
  }
  // Never fail a shrink: Lua 5.4's emergency collector relies on shrinks succeeding.
  // A refusal is only noted: Lua collects garbage and retries, and raises "not enough
  // memory" only if that fails too (note_failure then stops the cell).
  if (new_size > old && sandbox.m_used + (new_size - old) >
                            static_cast<std::uint64_t>(sandbox.m_limits.memory_limit_bytes)) {
    sandbox.m_refused = true;
    return nullptr;
  }
  void* moved = std::realloc(block, new_size);
  if (moved == nullptr) {
    if (new_size <= old) return block;
    sandbox.m_refused = true;
    return nullptr;
  }
  sandbox.m_used = sandbox.m_used - old + new_size;
  sandbox.m_peak = std::max(sandbox.m_peak, sandbox.m_used);
  return moved;
}

void Sandbox::on_hook(lua_State* L, lua_Debug* /*ar*/) {
  auto& sandbox = of(L);
  if (sandbox.m_stop == Stop::none && Clock::now() > sandbox.m_deadline)
    sandbox.m_stop = Stop::timeout;
  // Raised again at every hook while the cell is stopping: a handler that catches it
  // (a __close, a loop around a failed call) meets it again a thousand instructions later.
  if (sandbox.m_stop != Stop::none) {
    lua_pushliteral(L, "the cell was stopped");
    lua_error(L);
  }
}

void Sandbox::open_libraries() {
  lua_State* L = m_state;
  static constexpr luaL_Reg libraries[] = {
      {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
      {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}};
  for (const auto& library : libraries) {
    luaL_requiref(L, library.name, library.func, 1);
    lua_pop(L, 1);
  }
  // Loaded-module bookkeeping reachable through the registry only; nothing of it in _G.
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  for (const char* name :
       {"dofile", "loadfile", "warn", "require", "package", "io", "os", "debug"}) {
    remove_field(L, globals, name);
  }
  lua_pushcfunction(L, sandbox_pcall);
  lua_setfield(L, globals, "pcall");
  lua_pushcfunction(L, sandbox_xpcall);
  lua_setfield(L, globals, "xpcall");
  wrap_field(L, globals, "setmetatable", sandbox_setmetatable);
  lua_pushcfunction(L, sandbox_load);
  lua_setfield(L, globals, "load");
  lua_pushcfunction(L, sandbox_collectgarbage);
  lua_setfield(L, globals, "collectgarbage");

  lua_getfield(L, globals, "string");
  remove_field(L, -1, "dump");
  wrap_field(L, -1, "rep", sandbox_rep);
  wrap_field(L, -1, "find", sandbox_find);
  lua_pop(L, 1);
  // Hide the string metatable: getmetatable("") would hand out the table whose __index
  // every string method goes through.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushliteral(L, "string");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  lua_getfield(L, globals, "table");
  wrap_field(L, -1, "move", sandbox_table_move);
  lua_pop(L, 1);

  lua_getfield(L, globals, "coroutine");
  remove_field(L, -1, "close"); // 5.4.4 crashes on deep chains of nested closes
  wrap_field(L, -1, "resume", sandbox_resume);
  lua_pop(L, 1);

  // os: the clock and calendar only.
  luaL_requiref(L, "rlm.os", luaopen_os, 0);
  lua_createtable(L, 0, 4);
  for (const char* name : {"clock", "time", "date", "difftime"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, globals, "os");
  lua_pop(L, 1);
  // The loaded-module table (in the registry, out of the cells' reach) keeps the libraries
  // so error messages can name functions ("bad argument #1 to 'rep'"); only the full os
  // library goes.
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  lua_setfield(L, -2, "rlm.os");
  lua_pop(L, 1);

  register_core_tools(L);
  register_text_tools(L);
  register_regex_tools(L);
  lua_settop(L, 0);
}

namespace {

// Globals rlm owns. A sloppy model that writes `line = line(1)` or `context = ...` would
// break its later cells; these are put back before each cell, and the model is told.
constexpr const char* k_tool_names[] = {
    "FINAL",          "FINAL_VAR", "llm_query",     "llm_query_batched",
    "print",          "re",        "line",          "lines",
    "slice",          "chunk",     "chunk_lines",   "grep",
    "context",        "documents", "context_chars", "context_lines",
    "context_tokens", "string"};
// Libraries whose fields are put back too (string methods are how `context:sub` works).
constexpr const char* k_guarded_libraries[] = {"string", "re"};

} // namespace

void Sandbox::snapshot_tools(lua_State* L) {
  lua_pushglobaltable(L);
  lua_newtable(L);
  for (const char* name : k_tool_names) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "rlm.tools");
  for (const char* library : k_guarded_libraries) {
    lua_getfield(L, -1, library);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, (std::string("rlm.lib.") + library).c_str());
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

int Sandbox::restore_tools(lua_State* L) {
  auto& changed = of(L).m_scratch;
  changed.clear();
  const auto note = [&](const char* name) {
    changed += changed.empty() ? name : std::string(", ") + name;
  };
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "rlm.tools");
  const int saved = lua_gettop(L);
  for (const char* name : k_tool_names) {
    lua_getfield(L, saved, name);
    lua_pushstring(L, name);
    lua_rawget(L, globals);
    if (lua_rawequal(L, -1, -2) == 0) {
      lua_pop(L, 1);
      lua_pushstring(L, name);
      lua_insert(L, -2);
      lua_rawset(L, globals); // raw: a metatable on _G cannot refuse it
      note(name);
    } else {
      lua_pop(L, 2);
    }
  }
  for (const char* library : k_guarded_libraries) {
    lua_pushstring(L, library);
    lua_rawget(L, globals); // restored above, so it is the original table
    const int table = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, (std::string("rlm.lib.") + library).c_str());
    const int copy = lua_gettop(L);
    bool library_changed = false;
    lua_pushnil(L);
    while (lua_next(L, copy) != 0) { // put back every original field
      lua_pushvalue(L, -2);
      lua_rawget(L, table);
      if (lua_rawequal(L, -1, -2) == 0) {
        lua_pop(L, 1);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, table);
        library_changed = true;
      } else {
        lua_pop(L, 2);
      }
    }
    if (library_changed) note((std::string(library) + ".*").c_str());
    lua_settop(L, table - 1);
  }
  lua_settop(L, globals - 1);
  return 0;
}

void Sandbox::load_documents(std::span<const DocumentText> documents) {
  // In a protected call: a document over the memory limit is an error, not a Lua panic.
  m_loading = documents;
  lua_pushcfunction(m_state, [](lua_State* L) {
    of(L).push_documents(L);
    return 0;
  });
  const int status = lua_pcall(m_state, 0, 0, 0);
  m_scratch = {};
  m_loading = {};
  if (status != LUA_OK) {
    lua_settop(m_state, 0);
    m_stop = Stop::none;
    throw std::runtime_error(
        fmt::format("the documents do not fit in the REPL's memory limit of {} MB; "
                    "raise [sandbox] memory_limit_mb",
                    m_limits.memory_limit_bytes >> 20));
  }
}

void Sandbox::push_documents(lua_State* L) {
  const auto documents = m_loading;
  // One string for `context`; with one document it is also documents[1].text. The joined
  // text is built in a member, so an error raised by Lua while it exists leaks nothing.
  m_scratch.clear();
  if (documents.size() != 1) {
    for (std::size_t i = 0; i < documents.size(); ++i) {
      if (i > 0) m_scratch += "\n\n";
      m_scratch += documents[i].text;
    }
  }
  const std::string_view context =
      documents.size() == 1 ? documents[0].text : std::string_view(m_scratch);
  lua_pushlstring(L, context.data(), context.size());
  m_context = std::string_view(lua_tostring(L, -1), context.size());
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "rlm.context"); // keeps the bytes alive whatever _G holds
  lua_setglobal(L, "context");

  std::uint64_t characters = 0;
  lua_createtable(L, static_cast<int>(documents.size()), 0);
  std::size_t start = 0;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const auto& doc = documents[i];
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, doc.name.data(), doc.name.size());
    lua_setfield(L, -2, "name");
    if (documents.size() == 1) {
      lua_getglobal(L, "context");
    } else {
      lua_pushlstring(L, doc.text.data(), doc.text.size());
    }
    lua_setfield(L, -2, "text");
    lua_pushinteger(L, static_cast<lua_Integer>(start + 1));
    lua_setfield(L, -2, "start");
    lua_pushinteger(L, static_cast<lua_Integer>(start + doc.text.size()));
    lua_setfield(L, -2, "stop");
    const auto doc_chars =
        static_cast<std::uint64_t>(std::count_if(doc.text.begin(), doc.text.end(), [](char c) {
          return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }));
    characters += doc_chars;
    lua_pushinteger(L, static_cast<lua_Integer>(doc_chars));
    lua_setfield(L, -2, "chars");
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    start += doc.text.size() + 2;
  }
  lua_setglobal(L, "documents");

  const auto lines =
      line_starts(L).size() - (m_context.empty() || m_context.back() == '\n' ? 1 : 0);
  lua_pushinteger(L, static_cast<lua_Integer>(characters));
  lua_setglobal(L, "context_chars");
  lua_pushinteger(L, static_cast<lua_Integer>(lines));
  lua_setglobal(L, "context_lines");
  lua_pushinteger(L, static_cast<lua_Integer>((characters + 3) / 4));
  lua_setglobal(L, "context_tokens");
  snapshot_tools(L);
}

const std::vector<std::uint64_t>& Sandbox::line_starts(lua_State* L) {
  if (!m_line_starts.empty()) return m_line_starts;
  const char* begin = m_context.data();
  const char* end = begin + m_context.size();
  std::uint64_t newlines = 0;
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
       nullptr;
       ++p) {
    ++newlines;
  }
  const auto bytes = (newlines + 1) * sizeof(std::uint64_t);
  if (m_used + bytes > static_cast<std::uint64_t>(m_limits.memory_limit_bytes)) {
    m_stop = Stop::memory;
    lua_pushliteral(L, "not enough memory for the line index");
    lua_error(L);
  }
  m_line_starts.reserve(newlines + 1);
  m_line_starts.push_back(0);
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
       nullptr;) {
    ++p;
    m_line_starts.push_back(static_cast<std::uint64_t>(p - begin));
  }
  m_used += bytes; // held for the session's life
  m_peak = std::max(m_peak, m_used);
  return m_line_starts;
}

void Sandbox::check_deadline(lua_State* L) {
  if (m_stop == Stop::none && Clock::now() > m_deadline) m_stop = Stop::timeout;
  if (m_stop != Stop::none) {
    lua_pushliteral(L, "the cell was stopped");
    lua_error(L);
  }
}

void Sandbox::note_failure(lua_State* L, int status) {
  if (m_stop != Stop::none) return;
  if (status == LUA_ERRMEM) {
    m_stop = Stop::memory;
    return;
  }
  // Errors that crossed coroutine.wrap arrive as ordinary errors, with a position prefix.
  std::size_t size = 0;
  const char* text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &size) : nullptr;
  if (m_refused && text != nullptr && std::string_view(text, size).ends_with("not enough memory")) {
    m_stop = Stop::memory;
  }
}

void Sandbox::query_host() {
  const auto started = Clock::now();
  m_query_results = m_host.query(m_prompts);
  m_query_results.resize(m_prompts.size(), std::unexpected(std::string("no answer")));
  m_sub_calls += m_prompts.size();
  // Waiting for models is not the cell's own time.
  const auto waited = m_host.last_wait_seconds();
  m_deadline +=
      waited ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*waited))
             : Clock::now() - started;
  arm_alarm(); // the deadline moved
}

void Sandbox::append_output(std::string_view text) {
  const auto limit = static_cast<std::size_t>(m_limits.max_output_bytes);
  const auto room = limit > m_output.size() ? limit - m_output.size() : 0;
  m_output.append(text.substr(0, room));
  m_output_dropped += text.size() > room ? text.size() - room : 0;
}

void Sandbox::finish_error(int status, CellResult& result) {
  lua_State* L = m_state;
  CellError error;
  if (m_stop == Stop::timeout) {
    error = {CellError::Kind::timeout,
             fmt::format(
                 "time limit: the cell ran longer than {} s and was stopped (variables are kept)",
                 m_limits.cell_timeout_seconds)};
  } else if (m_stop == Stop::memory) {
    error = {
        CellError::Kind::memory,
        fmt::format("memory limit: the REPL reached its {} MB; free large variables (x = nil) or "
                    "work on smaller pieces",
                    m_limits.memory_limit_bytes >> 20)};
  } else {
    const int type = lua_type(L, -1);
    std::size_t size = 0;
    const char* text =
        (type == LUA_TSTRING || type == LUA_TNUMBER) ? lua_tolstring(L, -1, &size) : nullptr;
    std::string message = text != nullptr
                              ? std::string(text, size)
                              : fmt::format("(an error value of type {})", lua_typename(L, type));
    error = {status == LUA_ERRSYNTAX ? CellError::Kind::syntax : CellError::Kind::runtime,
             std::move(message)};
  }
  const auto limit = static_cast<std::size_t>(m_limits.max_error_bytes);
  if (error.message.size() > limit) {
    error.message = fmt::format("{}... [error cut: {} more bytes]", error.message.substr(0, limit),
                                error.message.size() - limit);
  }
  result.error = std::move(error);
}

CellResult Sandbox::run(std::string_view code) {
  lua_State* L = m_state;
  const auto started = Clock::now();
  m_output.clear();
  m_output_dropped = 0;
  m_final.reset();
  m_sub_calls = 0;
  m_stop = Stop::none;
  m_refused = false;
  m_peak = m_used;
  m_deadline = started + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(m_limits.cell_timeout_seconds));
  CellResult result;
  if (code.size() > static_cast<std::size_t>(m_limits.max_source_bytes)) {
    result.error = CellError{
        CellError::Kind::too_large,
        fmt::format("the cell has {} bytes, over the limit of {}; split it into smaller cells",
                    code.size(), m_limits.max_source_bytes)};
  } else {
    arm_alarm();
    lua_pushcfunction(L, &Sandbox::restore_tools);
    if (lua_pcall(L, 0, 0, 0) == LUA_OK && !m_scratch.empty()) {
      m_output =
          fmt::format("[note: rlm restored {}, which an earlier cell had replaced; they are rlm's "
                      "tools, so use other names for your variables]\n",
                      m_scratch);
    }
    lua_settop(L, 0);
    int status = luaL_loadbufferx(L, code.data(), code.size(), "=cell", "t");
    if (status == LUA_OK) status = lua_pcall(L, 0, 0, 0);
    if (status != LUA_OK) {
      note_failure(L, status);
      finish_error(status, result);
    }
  }
  disarm_alarm();
  lua_settop(L, 0);
  if (m_stop == Stop::memory) lua_gc(L, LUA_GCCOLLECT);
  m_stop = Stop::none;
  result.output = std::move(m_output);
  result.output_dropped = m_output_dropped;
  result.final_answer = std::move(m_final);
  result.sub_calls = m_sub_calls;
  result.memory_bytes = m_used;
  result.peak_memory_bytes = m_peak;
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  m_output = {};
  m_final.reset();
  return result;
}

void raise_error(lua_State* L, std::string_view message) {
  lua_pushlstring(L, message.data(), message.size());
  lua_error(L);
  std::abort(); // lua_error does not return
}

} // namespace rlm::lua
