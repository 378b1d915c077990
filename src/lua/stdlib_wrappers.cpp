#include "stdlib_wrappers.hpp"

#include "document_access.hpp"
#include "run_guard.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cstring>

namespace rlm::lua {

namespace {

constexpr lua_Integer k_max_table_move = lua_Integer{1} << 26;

// Runs the wrapped library function (upvalue 1, a C function) in the wrapper's own frame, as
// if the cell had called it: an error it raises names the function as the caller wrote it and
// gives the caller's line ("cell:3: bad argument #1 to 'setmetatable'"), as the stock one's
// does. Through lua_call it would be a call from C: no name ('?') and no position. Returns
// the number of results, on top of the stack.
int call_original(lua_State* L) { return lua_tocfunction(L, lua_upvalueindex(1))(L); }

// pcall and xpcall: as Lua's own (with continuations, so coroutines may yield across
// them), except that a stopping cell's error is raised again instead of being returned.
int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    RunGuard::of(L).note_failure(L, status);
    if (RunGuard::of(L).stopping()) return lua_error(L);
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
  if (RunGuard::of(L).stopping()) return 1; // the error object, untouched
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
  const int results = call_original(L);
  const int first = lua_gettop(L) - results + 1; // true or false, then values or the error
  if (lua_toboolean(L, first) != 0) return results;
  RunGuard::of(L).note_failure(L, LUA_ERRRUN);
  if (!RunGuard::of(L).stopping()) return results;
  lua_settop(L, first + 1);
  return lua_error(L);
}

// coroutine.create and coroutine.wrap: the new thread gets the run guard's periodic hook,
// since the worker's main thread runs unhooked and a thread inherits its creator's hook.
int sandbox_create(lua_State* L) {
  call_original(L);
  RunGuard::hook_coroutine(lua_tothread(L, -1));
  return 1;
}

int sandbox_wrap(lua_State* L) {
  call_original(L);
  // Lua's wrap returns a C closure whose only upvalue is the thread it resumes.
  lua_getupvalue(L, -1, 1);
  lua_State* thread = lua_tothread(L, -1);
  if (thread == nullptr) return luaL_error(L, "coroutine.wrap: no thread to guard");
  RunGuard::hook_coroutine(thread);
  lua_pop(L, 1);
  return 1;
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
  // _G's own metatable is rlm's (document_access.hpp): the code's goes on a stand-in.
  const bool globals = DocumentAccess::redirect_globals(L, 1);
  call_original(L);
  if (globals) lua_pushglobaltable(L);
  return 1;
}

int sandbox_getmetatable(lua_State* L) {
  DocumentAccess::redirect_globals(L, 1);
  return call_original(L);
}

// load(chunk [, chunkname [, mode [, env]]]) as Lua's, but for strings only, size-capped, and
// never binary: a chunk that starts as bytecode does (ESC) meets mode "t" whatever the mode
// asked ("attempt to load a binary chunk (mode is 't')"), and a text chunk Lua's own check of
// the mode asked ("attempt to load a text chunk (mode is 'b')").
// The chunk is named as Lua names it, by its source ([string "..."]), or by `chunkname`.
int sandbox_load(lua_State* L) {
  std::size_t size = 0;
  const char* source = lua_tolstring(L, 1, &size);
  if (source == nullptr) {
    luaL_checktype(L, 1, LUA_TFUNCTION); // what Lua says of anything else
    return luaL_error(L, "load: pass the code as a string (reader functions are not allowed)");
  }
  const auto limit = static_cast<std::size_t>(RunGuard::of(L).limits().max_source_bytes);
  if (size > limit)
    return luaL_error(L, "load: chunk of %d bytes is over the limit of %d", static_cast<int>(size),
                      static_cast<int>(limit));
  const char* mode = luaL_optstring(L, 3, "bt");
  const char* name = luaL_optstring(L, 2, source);
  const bool binary = size > 0 && source[0] == LUA_SIGNATURE[0];
  const char* allowed = binary || std::strchr(mode, 't') != nullptr ? "t" : mode;
  const int status = luaL_loadbufferx(L, source, size, name, allowed);
  if (status != LUA_OK) {
    luaL_pushfail(L);
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
  const auto limit = static_cast<double>(RunGuard::of(L).limits().memory_limit_bytes);
  const double total = static_cast<double>(n) * static_cast<double>(length + separator);
  if (total > limit) {
    return luaL_error(L, "string.rep: a result of %d MB is over the memory limit",
                      static_cast<int>(total / 1048576.0));
  }
  return call_original(L);
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
  if (!plain) return call_original(L);
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

// table.move: Lua's own argument checks first (so its messages stay), then the sandbox's
// cap on the range, since the stock loop cannot be interrupted.
int sandbox_table_move(lua_State* L) {
  const lua_Integer first = luaL_checkinteger(L, 2);
  const lua_Integer last = luaL_checkinteger(L, 3);
  const lua_Integer to = luaL_checkinteger(L, 4);
  if (last >= first) {
    luaL_argcheck(L, first > 0 || last < LUA_MAXINTEGER + first, 3, "too many elements to move");
    luaL_argcheck(L, to <= LUA_MAXINTEGER - (last - first), 4, "destination wrap around");
    if (last - first >= k_max_table_move) {
      return luaL_error(L, "table.move: a range of more than %d elements is not allowed",
                        static_cast<int>(k_max_table_move));
    }
  }
  return call_original(L);
}

// collectgarbage([opt [, arg]]) as Lua's for "collect" (the default), "count", "step" and
// "isrunning"; the options that stop the collector or retune it are refused, since the
// setting would outlive the cell.
int sandbox_collectgarbage(lua_State* L) {
  static constexpr const char* options[] = {
      "stop",       "restart",   "collect",      "count",       "step", "setpause",
      "setstepmul", "isrunning", "generational", "incremental", nullptr};
  const int option = luaL_checkoption(L, 1, "collect", options);
  const char* name = options[option];
  int result = 0;
  if (std::strcmp(name, "collect") == 0) {
    result = lua_gc(L, LUA_GCCOLLECT);
    lua_pushinteger(L, result);
  } else if (std::strcmp(name, "count") == 0) {
    result = lua_gc(L, LUA_GCCOUNT);
    const int bytes = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, static_cast<lua_Number>(result) + static_cast<lua_Number>(bytes) / 1024.0);
  } else if (std::strcmp(name, "step") == 0) {
    result = lua_gc(L, LUA_GCSTEP, static_cast<int>(luaL_optinteger(L, 2, 0)));
    lua_pushboolean(L, result);
  } else if (std::strcmp(name, "isrunning") == 0) {
    result = lua_gc(L, LUA_GCISRUNNING);
    lua_pushboolean(L, result);
  } else {
    return luaL_error(L, "collectgarbage: option '%s' is not allowed in the sandbox", name);
  }
  if (result == -1) luaL_pushfail(L); // as Lua's: called where the collector cannot run
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

constexpr lua_Integer k_random_seed = 0x726c6d; // "rlm"

// The allowed libraries, and the base library's functions replaced or taken away.
void open_base_libraries(lua_State* L, int globals) {
  static constexpr luaL_Reg libraries[] = {
      {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
      {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
      {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine}};
  for (const auto& library : libraries) {
    luaL_requiref(L, library.name, library.func, 1);
    lua_pop(L, 1);
  }
  // Lua seeds math.random from the clock; a fixed seed makes a rerun, a replay (--replay)
  // and a cached call draw the same numbers. math.randomseed(n) still picks another.
  lua_getfield(L, globals, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, k_random_seed);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  // Loaded-module bookkeeping reachable through the registry only; nothing of it in _G.
  for (const char* name :
       {"dofile", "loadfile", "warn", "require", "package", "io", "os", "debug"}) {
    remove_field(L, globals, name);
  }
  lua_pushcfunction(L, sandbox_pcall);
  lua_setfield(L, globals, "pcall");
  lua_pushcfunction(L, sandbox_xpcall);
  lua_setfield(L, globals, "xpcall");
  wrap_field(L, globals, "setmetatable", sandbox_setmetatable);
  wrap_field(L, globals, "getmetatable", sandbox_getmetatable);
  lua_pushcfunction(L, sandbox_load);
  lua_setfield(L, globals, "load");
  lua_pushcfunction(L, sandbox_collectgarbage);
  lua_setfield(L, globals, "collectgarbage");
}

void guard_library_functions(lua_State* L, int globals) {
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
  wrap_field(L, -1, "create", sandbox_create);
  wrap_field(L, -1, "wrap", sandbox_wrap);
  lua_pop(L, 1);
}

// os: the clock and calendar only.
void open_clock(lua_State* L, int globals) {
  luaL_requiref(L, "rlm.os", luaopen_os, 0);
  lua_createtable(L, 0, 4);
  for (const char* name : {"clock", "time", "date", "difftime"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, globals, "os");
  // The loaded-module table (in the registry, out of the cells' reach) keeps the libraries
  // so error messages can name functions called from C ("bad argument #1 to 'os.date'");
  // it holds the reduced os, never the full library.
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "os");
  lua_pushnil(L);
  lua_setfield(L, -2, "rlm.os");
  lua_pop(L, 2);
}

} // namespace

void open_safe_libraries(lua_State* L) {
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  open_base_libraries(L, globals);
  guard_library_functions(L, globals);
  open_clock(L, globals);
  DocumentAccess::install(L);
  lua_settop(L, 0);
}

} // namespace rlm::lua
