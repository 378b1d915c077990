// Puts the tool registry's functions and tables into a sandbox's globals table.
#pragma once

struct lua_State;

namespace rlm::lua {

struct Tool;

// Registers every function and table of k_tools (tool_registry.hpp).
void register_tools(lua_State* L);

// Pushes `tool` as Lua calls it: behind one trampoline that notes a read of the document and
// turns a C++ exception from the tool into a Lua error.
void push_tool(lua_State* L, const Tool& tool);

} // namespace rlm::lua
