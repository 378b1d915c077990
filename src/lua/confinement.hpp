// What the worker does to itself once its documents are loaded: resource limits, no new
// privileges, and a seccomp filter that allows only reading and writing its socket, memory
// management, the clock and exiting. Anything else kills the process (SIGSYS).
#pragma once

#include <cstdint>
#include <string>

namespace rlm::lua {

// Applies the limits and, with `syscall_filter`, the seccomp filter and the descriptor limit.
// `address_space_bytes` caps virtual memory (0 = none). Returns "" on success, else what could not
// be applied (the worker then refuses to run).
std::string confine_worker(std::uint64_t address_space_bytes, bool syscall_filter = true);

} // namespace rlm::lua
