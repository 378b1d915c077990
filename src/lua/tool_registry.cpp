// Registration of k_tools (tool_registry.hpp). The registry is the only list of the tools;
// this file only walks it.
#include "sandbox.hpp"
#include "tools.hpp"

#include "rlm/lua/tool_registry.hpp"

#include <lua.hpp>

namespace rlm::lua {

namespace {

// A tool that reads the document: note the read, then run the tool (upvalue 1) in this
// same frame, so argument errors still name the tool as the model called it.
int call_reading_tool(lua_State* L) {
  Sandbox::of(L).document_access().note_read();
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

// A tool that reads the string it is given: a read when that string is the document's.
int call_tool_on_text(lua_State* L) {
  auto& access = Sandbox::of(L).document_access();
  if (access.is_document_text(L, 1)) access.note_read();
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

void push_tool(lua_State* L, const Tool& tool) {
  lua_pushcfunction(L, tool.function);
  if (tool.reads == DocumentRead::always) lua_pushcclosure(L, call_reading_tool, 1);
  if (tool.reads == DocumentRead::when_passed) lua_pushcclosure(L, call_tool_on_text, 1);
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
