// The Lua worker process's main loop: what the rlm-worker executable runs (src/worker_main.cpp).
// lua::Session spawns it with its socket on fd 3 and the documents' memory file on fd 4.
#pragma once

namespace rlm::lua {

// Receives Init on fd 3, loads the documents, confines the process, then runs cells until the
// parent closes the socket. Never returns: the process exits.
[[noreturn]] void run_worker();

} // namespace rlm::lua
