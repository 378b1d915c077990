// Where a session finds the worker executable it spawns.
#pragma once

#include <string>

namespace rlm::lua {

// RLM_WORKER_PATH when set and not empty (the tests point it at the build tree's worker),
// else rlm-worker in the directory of the running executable: where the build puts it
// beside rlm, and where an install must put it too. Empty when /proc/self/exe is unreadable.
std::string worker_program();

} // namespace rlm::lua
