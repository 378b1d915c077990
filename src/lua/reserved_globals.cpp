#include "reserved_globals.hpp"

#include "document_access.hpp"
#include "sandbox.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

#include <string>
#include <string_view>

namespace rlm::lua {

namespace {

constexpr const char* k_saved = "rlm.tools";
constexpr const char* k_saved_libraries = "rlm.libraries";
// A standard library rlm guards too: string methods are how `context:sub` works.
constexpr std::string_view k_string_library = "string";

void push_name(lua_State* L, std::string_view name) {
  lua_pushlstring(L, name.data(), name.size());
}

// Calls `visit(name, served)` for each reserved global, in the order the note names them;
// `served` is the variable's number among the served ones, or -1.
template <typename Visit> void for_each_global(Visit visit) {
  int served = 0;
  for (const auto& tool : k_tools) {
    if (is_global(tool)) visit(tool.name, is_served(tool) ? served++ : -1);
  }
  visit(k_string_library, -1);
}

// Calls `visit(name)` for each guarded table of functions: string, then the registry's.
template <typename Visit> void for_each_library(Visit visit) {
  visit(k_string_library);
  for (const auto& tool : k_tools) {
    if (tool.kind == ToolKind::table) visit(tool.name);
  }
}

// A raw copy of the table at `index`, pushed.
void push_copy(lua_State* L, int index) {
  index = lua_absindex(L, index);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

// Puts every field of the copy at `copy` back into the table at `table`; true if any differed.
bool put_back_fields(lua_State* L, int table, int copy) {
  bool changed = false;
  lua_pushnil(L);
  while (lua_next(L, copy) != 0) {
    lua_pushvalue(L, -2);
    lua_rawget(L, table);
    if (lua_rawequal(L, -1, -2) == 0) {
      lua_pop(L, 1);
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, table);
      changed = true;
    } else {
      lua_pop(L, 2);
    }
  }
  return changed;
}

// The names the restore put back; a member of the sandbox, so nothing here owns memory.
void note(std::string& names, std::string_view name, std::string_view suffix = {}) {
  if (!names.empty()) names += ", ";
  names += name;
  names += suffix;
}

// With the name on top: puts back the remembered value if the global differs; true if it did.
bool put_back_global(lua_State* L, int globals, int saved) {
  const int name = lua_gettop(L);
  lua_pushvalue(L, name);
  lua_rawget(L, saved);
  lua_pushvalue(L, name);
  lua_rawget(L, globals);
  const bool same = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 1);
  if (same) {
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, name);
  lua_insert(L, -2);
  lua_rawset(L, globals); // raw: a metatable on _G cannot refuse it
  return true;
}

} // namespace

void snapshot_reserved_globals(lua_State* L) {
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  lua_newtable(L);
  const int saved = lua_gettop(L);
  for_each_global([&](std::string_view name, int served) {
    push_name(L, name);
    lua_pushvalue(L, -1);
    lua_rawget(L, globals);
    lua_rawset(L, saved);
    if (served < 0) return;
    push_name(L, name); // served, not stored: out of _G's own fields
    lua_pushnil(L);
    lua_rawset(L, globals);
  });
  lua_setfield(L, LUA_REGISTRYINDEX, k_saved);
  lua_newtable(L);
  for_each_library([&](std::string_view name) {
    push_name(L, name);
    push_name(L, name);
    lua_rawget(L, globals);
    push_copy(L, -1);
    lua_remove(L, -2);
    lua_rawset(L, -3);
  });
  lua_setfield(L, LUA_REGISTRYINDEX, k_saved_libraries);
  lua_pop(L, 1);
}

bool push_saved_globals(lua_State* L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, k_saved) == LUA_TTABLE) return true;
  lua_pop(L, 1);
  return false;
}

int restore_reserved_globals(lua_State* L) {
  auto& sandbox = Sandbox::of(L);
  auto& names = sandbox.restored_names();
  names.clear();
  if (!push_saved_globals(L)) return 0;
  const int saved = lua_gettop(L);
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  for_each_global([&](std::string_view name, int served) {
    push_name(L, name);
    const bool changed = served >= 0 ? sandbox.document_access().take_back(
                                           L, globals, saved, static_cast<std::size_t>(served))
                                     : put_back_global(L, globals, saved);
    lua_settop(L, globals);
    if (changed) note(names, name);
  });
  lua_getfield(L, LUA_REGISTRYINDEX, k_saved_libraries);
  const int libraries = lua_gettop(L);
  for_each_library([&](std::string_view name) {
    push_name(L, name);
    lua_rawget(L, globals); // put back above, so it is the original table
    push_name(L, name);
    lua_rawget(L, libraries);
    const bool changed = lua_istable(L, -2) && lua_istable(L, -1) &&
                         put_back_fields(L, lua_absindex(L, -2), lua_absindex(L, -1));
    lua_settop(L, libraries);
    if (changed) note(names, name, ".*");
  });
  lua_settop(L, saved - 1);
  return 0;
}

} // namespace rlm::lua
