// Puts the tool registry's functions and tables into a sandbox's globals table.
#pragma once

struct lua_State;

namespace rlm::lua {

// Registers every function and table of k_tools (tool_registry.hpp). A tool that reads the
// document is registered behind a closure that notes the read before calling it.
void register_tools(lua_State* L);

} // namespace rlm::lua
