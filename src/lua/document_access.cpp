#include "document_access.hpp"

#include "reserved_globals.hpp"
#include "sandbox.hpp"

#include <lua.hpp>

#include <algorithm>
#include <string_view>

namespace rlm::lua {

namespace {

// The stand-in whose metatable is the one the code set on _G.
constexpr const char* k_stand_in = "rlm.globals.stand_in";
constexpr const char* k_texts = "rlm.document_texts";

int finish_index(lua_State* /*L*/, int /*status*/, lua_KContext /*context*/) { return 1; }
int finish_newindex(lua_State* /*L*/, int /*status*/, lua_KContext /*context*/) { return 0; }

// In rlm's metamethods on _G: the upvalue after the served names.
constexpr int k_stand_in_upvalue = static_cast<int>(k_served_count) + 1;

// Pushes the code's own metamethod `event` for _G; false (pushing nothing) without one.
// Runs inside rlm's __index or __newindex, whose last upvalue is the stand-in.
bool push_code_metamethod(lua_State* L, const char* event) {
  lua_pushvalue(L, lua_upvalueindex(k_stand_in_upvalue));
  if (lua_getmetatable(L, -1) == 0) {
    lua_pop(L, 1);
    return false;
  }
  lua_pushstring(L, event);
  const bool found = lua_rawget(L, -2) != LUA_TNIL;
  lua_replace(L, -3);
  lua_pop(L, found ? 1 : 2);
  return found;
}

// _G[k] missing and not served, with (t, k) on the stack: what the code's __index says.
int index_through_code(lua_State* L) {
  lua_settop(L, 2);
  if (!push_code_metamethod(L, "__index")) {
    lua_pushnil(L);
    return 1;
  }
  if (lua_isfunction(L, 3)) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_callk(L, 2, 1, 0, finish_index);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_gettable(L, 3);
  return 1;
}

// _G[k] = v for a missing, unserved k, with (t, k, v) on the stack: the code's __newindex.
int newindex_through_code(lua_State* L) {
  lua_settop(L, 3);
  if (!push_code_metamethod(L, "__newindex")) {
    lua_rawset(L, 1);
    return 0;
  }
  if (lua_isfunction(L, 4)) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_callk(L, 3, 0, 0, finish_newindex);
    return 0;
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_settable(L, 4);
  return 0;
}

// Pushes the original value of the variable named at `key`; false (pushing nothing) before
// the documents are loaded.
bool push_original(lua_State* L, int key) {
  if (!push_saved_globals(L)) return false;
  lua_pushvalue(L, key);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (!lua_isnil(L, -1)) return true;
  lua_pop(L, 1);
  return false;
}

} // namespace

void DocumentAccess::install(lua_State* L) {
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, k_stand_in);
  lua_pushglobaltable(L);
  lua_createtable(L, 0, 2);
  const auto push_upvalues = [L] {
    for (const auto& tool : k_tools) {
      if (is_served(tool)) lua_pushlstring(L, tool.name.data(), tool.name.size());
    }
    lua_getfield(L, LUA_REGISTRYINDEX, k_stand_in);
  };
  push_upvalues();
  lua_pushcclosure(L, &DocumentAccess::index_globals, k_stand_in_upvalue);
  lua_setfield(L, -2, "__index");
  push_upvalues();
  lua_pushcclosure(L, &DocumentAccess::newindex_globals, k_stand_in_upvalue);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);
}

bool DocumentAccess::redirect_globals(lua_State* L, int index) {
  index = lua_absindex(L, index);
  if (index > lua_gettop(L)) return false; // no such argument
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  const bool globals = lua_rawequal(L, index, -1) != 0;
  lua_pop(L, 1);
  if (!globals) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, k_stand_in);
  lua_replace(L, index);
  return true;
}

int DocumentAccess::index_globals(lua_State* L) {
  for (std::size_t i = 0; i < k_served_count; ++i) {
    if (lua_rawequal(L, 2, lua_upvalueindex(static_cast<int>(i) + 1)) != 0) {
      return Sandbox::of(L).document_access().serve(L, i);
    }
  }
  return index_through_code(L);
}

int DocumentAccess::serve(lua_State* L, std::size_t served) {
  lua_settop(L, 2);
  if (!push_original(L, 2)) return index_through_code(L);
  if (m_state[served] != State::fresh) { // the cell took the cached copy away itself
    m_state[served] = State::replaced;
    lua_pushnil(L);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, 1); // may raise (memory): the state changes only once it is done
  m_state[served] = State::cached;
  m_read = true;
  return 1;
}

int DocumentAccess::newindex_globals(lua_State* L) {
  for (std::size_t i = 0; i < k_served_count; ++i) {
    if (lua_rawequal(L, 2, lua_upvalueindex(static_cast<int>(i) + 1)) == 0) continue;
    lua_settop(L, 3);
    if (!push_original(L, 2)) return newindex_through_code(L);
    const bool same = lua_rawequal(L, 3, 4) != 0;
    lua_settop(L, 3);
    lua_rawset(L, 1);
    Sandbox::of(L).document_access().m_state[i] = same ? State::cached : State::replaced;
    return 0;
  }
  return newindex_through_code(L);
}

bool DocumentAccess::is_document_text(lua_State* L, int index) const {
  if (lua_type(L, index) != LUA_TSTRING) return false;
  return std::ranges::find(m_texts, lua_tostring(L, index)) != m_texts.end();
}

void DocumentAccess::add_text(lua_State* L, int index) {
  index = lua_absindex(L, index);
  if (lua_getfield(L, LUA_REGISTRYINDEX, k_texts) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, k_texts);
  }
  lua_pushvalue(L, index);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  lua_pop(L, 1);
  m_texts.push_back(lua_tostring(L, index)); // within the reserved capacity
}

bool DocumentAccess::push_served(lua_State* L, int index) {
  index = lua_absindex(L, index);
  std::size_t size = 0;
  const char* name = lua_tolstring(L, index, &size);
  std::size_t served = 0;
  for (const auto& tool : k_tools) {
    if (!is_served(tool)) continue;
    if (tool.name == std::string_view(name, size)) {
      if (m_state[served] != State::fresh || !push_original(L, index)) return false;
      m_read = true;
      return true;
    }
    ++served;
  }
  return false;
}

bool DocumentAccess::take_back(lua_State* L, int globals, int saved, std::size_t served) {
  const int name = lua_gettop(L);
  lua_pushvalue(L, name);
  const bool present = lua_rawget(L, globals) != LUA_TNIL;
  lua_pushvalue(L, name);
  lua_rawget(L, saved);
  const auto state = m_state[served];
  const bool changed = state == State::replaced || (present && lua_rawequal(L, -1, -2) == 0) ||
                       (state == State::cached && !present);
  lua_settop(L, name);
  if (present) {
    lua_pushvalue(L, name);
    lua_pushnil(L);
    lua_rawset(L, globals);
  }
  m_state[served] = State::fresh;
  return changed;
}

} // namespace rlm::lua
