// The standard libraries as the sandbox opens them: base, string, table, math, utf8 and
// coroutine, without dofile, loadfile, string.dump, warn and coroutine.close; os with the
// clock and calendar only; and wrappers where Lua's own functions would let code escape the
// run guard (pcall, xpcall, coroutine.resume), load binary chunks (load), run finalizers
// with hooks off (setmetatable), or run for hours in one C call (string.rep, string.find,
// table.move, collectgarbage).
#pragma once

struct lua_State;

namespace rlm::lua {

// Opens the libraries above into the globals table of `L` (whose allocator is a RunGuard's),
// and installs rlm's metatable on that table (document_access.hpp).
void open_safe_libraries(lua_State* L);

} // namespace rlm::lua
