// Raising Lua errors from C++, and the one rule that keeps it safe.
//
// A Lua error is a longjmp (Lua is built as C): it skips the destructors of every C++ object
// alive in the frames it crosses. So in every function that runs inside a Lua call
// (lua_CFunctions, the hook, and whatever they call) no object with a non-trivial destructor
// may be alive in a frame that raises, or that calls a Lua API function able to raise (one
// that allocates, or runs Lua code). Buffers that must live across such calls are members of
// the Sandbox; messages are formatted by Lua itself (luaL_error, lua_pushfstring) from plain
// C strings, or raised with raise_error from a view of such a member. Helper types used in
// those frames static_assert that they are trivially destructible.
#pragma once

#include <lua.hpp>

#include <cstdlib>
#include <string_view>

namespace rlm::lua {

// Raises `message` as a Lua error. The caller's frame must hold no C++ object with a
// destructor (see above); `message` must outlive the call (a literal or a member).
[[noreturn]] inline void raise_error(lua_State* L, std::string_view message) {
  lua_pushlstring(L, message.data(), message.size());
  lua_error(L);
  std::abort(); // lua_error does not return
}

} // namespace rlm::lua
