// The entry point of the Lua worker process. Every executable that runs Lua sessions (rlm,
// the tests, the benchmarks) calls this first thing in main(), because a session starts its
// worker by running the executable itself again.
#pragma once

namespace rlm::lua {

// When `argv` asks for a worker, runs it and never returns (the process exits). Otherwise
// returns -1 at once.
int run_worker_if_requested(int argc, char** argv);

} // namespace rlm::lua
