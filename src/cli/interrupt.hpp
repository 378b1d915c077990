// Stopping on request: Ctrl-C (SIGINT), SIGTERM (what timeout, systemd, docker stop and CI
// send) and SIGHUP (a closed terminal) all do the same. The first sets a flag that model
// requests and the running cell watch, so the command stops cleanly with what it has: files
// finished, the trajectory closed, one line on stderr, exit 128 + the signal. A second one
// ends the process at once.
#pragma once

#include "rlm/util/exit_code.hpp"

#include <atomic>
#include <string>

namespace rlm::cli {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>& interrupt_on_signals();

// The exit code for the signal that set the flag: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).
int interrupted_exit_code();

// "interrupted (Ctrl-C)", "terminated (SIGTERM)", "hung up (SIGHUP)", for the error line.
std::string interrupted_by();

} // namespace rlm::cli
