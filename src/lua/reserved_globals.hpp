// rlm's names in the globals table: every global of the tool registry, and the string
// library that `context:sub` goes through. Remembered once the documents are loaded and put
// back before each cell when a cell replaced them, so a sloppy `line = line(1)` or
// `context = ...` cannot break the cells after it.
#pragma once

struct lua_State;

namespace rlm::lua {

// Remembers the current values; the served variables (document_access.hpp) leave _G's own
// fields. Call once, after the tools and the document variables are set.
void snapshot_reserved_globals(lua_State* L);

// Pushes the table of remembered values by name; false (pushing nothing) before the snapshot.
bool push_saved_globals(lua_State* L);

// A lua_CFunction, for a protected call before each cell: puts back whatever the last cell
// replaced, and names what it put back in Sandbox::restored_names() ("grep, string.*").
int restore_reserved_globals(lua_State* L);

} // namespace rlm::lua
