// Ctrl-C: the first SIGINT sets a flag that model requests and the running cell watch, so the
// run stops cleanly with what it has; a second one ends the process at once.
#pragma once

#include <atomic>

namespace rlm::cli {

// Installs the handler (once) and returns the flag it sets.
const std::atomic<bool>& interrupt_on_ctrl_c();

} // namespace rlm::cli
