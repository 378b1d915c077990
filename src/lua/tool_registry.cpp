// Registration of k_tools (tool_registry.hpp). The registry is the only list of the tools;
// this file only walks it.
#include "raise.hpp"
#include "sandbox.hpp"
#include "tools.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

#include <new>

namespace rlm::lua {

namespace {

// Every tool is called through this one trampoline (the tool is upvalue 1, how it reads the
// document upvalue 2). It runs the tool in this same frame, so argument errors still name
// the tool as the model called it, and notes a read of the document once the tool returned. A C++
// exception from a tool (std::bad_alloc from a string it builds) must not unwind through Lua's C
// frames: it becomes a Lua error, raised after the handler has ended.
int call_tool(lua_State* L) {
  const auto reads = static_cast<DocumentRead>(lua_tointeger(L, lua_upvalueindex(2)));
  const bool reads_document =
      reads == DocumentRead::always || (reads == DocumentRead::when_passed &&
                                        Sandbox::of(L).document_access().is_document_text(L, 1));
  const auto tool = lua_tocfunction(L, lua_upvalueindex(1));
  int results = 0;
  bool out_of_memory = false;
  bool threw = false;
  try {
    results = tool(L);
  } catch (const std::bad_alloc&) {
    out_of_memory = true;
  } catch (...) {
    threw = true;
  }
  if (out_of_memory) raise_error(L, "not enough memory for this call's result; work on less");
  if (threw) raise_error(L, "this call failed inside rlm (please report it)");
  // Only a call that returned read the document: one refused at its arguments did not.
  if (reads_document) Sandbox::of(L).document_access().note_read();
  return results;
}

// Pushes the table a tool named "table.field" goes into (the globals for a plain name), and
// the field's name.
void push_home(lua_State* L, std::string_view name) {
  const auto dot = name.find('.');
  lua_pushglobaltable(L);
  if (dot == std::string_view::npos) {
    lua_pushlstring(L, name.data(), name.size());
    return;
  }
  lua_pushlstring(L, name.data(), dot);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  lua_pushlstring(L, name.data() + dot + 1, name.size() - dot - 1);
}

} // namespace

void push_tool(lua_State* L, const Tool& tool) {
  lua_pushcfunction(L, tool.function);
  lua_pushinteger(L, static_cast<lua_Integer>(tool.reads));
  lua_pushcclosure(L, call_tool, 2);
}

void register_tools(lua_State* L) {
  for (const auto& tool : k_tools) {
    if (tool.kind == ToolKind::variable) continue; // set by Sandbox::load_documents
    push_home(L, tool.name);
    if (tool.kind == ToolKind::table) {
      lua_newtable(L);
    } else {
      push_tool(L, tool);
    }
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
}

} // namespace rlm::lua
