// The run guard: what bounds one cell whatever its code does. A capped allocator bounds the
// heap, a count hook (and, in the worker, SIGALRM) enforces the deadline, and a sticky stop
// makes every later hook raise again, so no handler can swallow a time or memory stop.
// Any hook makes Lua 5.4 run every instruction through its hook dispatch (a quarter to a
// half of the VM's time), so the worker's alarmed guard leaves the main thread unhooked
// until the alarm fires or a stop is set; coroutines, which SIGALRM cannot reach, carry
// the periodic hook from their creation (hook_coroutine).
// It knows nothing of documents or tools; the sandbox owns one and the wrappers ask it.
#pragma once

#include "rlm/lua/limits.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

struct lua_State;
struct lua_Debug;

namespace rlm::lua {

class RunGuard {
public:
  using Clock = std::chrono::steady_clock;
  enum class Stop { none, timeout, memory };

  // With `alarm`, a SIGALRM at the deadline makes the hook fire on the very next VM
  // instruction. Only one alarmed guard may exist in a process (the worker has one).
  RunGuard(const Limits& limits, bool alarm);
  ~RunGuard();
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;

  // The allocator to give lua_newstate, with the guard as its userdata. Never fails a shrink.
  static void* allocate(void* self, void* block, std::size_t old_size, std::size_t new_size);
  // The guard of `L`: the userdata of its allocator.
  static RunGuard& of(lua_State* L);
  // Takes `L` as the guarded state: the periodic count hook on it, or, when alarmed, the
  // SIGALRM handler instead (the alarm hooks `L` at the deadline).
  void attach(lua_State* L);
  // Gives a new coroutine the periodic hook: the alarm hooks the main thread only, and a
  // thread created from an unhooked one inherits no hook.
  static void hook_coroutine(lua_State* thread);

  const Limits& limits() const { return m_limits; }
  std::uint64_t used() const { return m_used; }
  std::uint64_t peak() const { return m_peak; }
  Stop stop() const { return m_stop; }
  bool stopping() const { return m_stop != Stop::none; }

  // A new cell: no stop, no refusal, the peak from here, the deadline a cell's time from now.
  void begin_cell();
  // (Re)starts the alarm for the current deadline; a no-op without `alarm`.
  void arm_alarm();
  // Stops the alarm and puts the hook back as between cells (none when alarmed, else the
  // periodic one); clears the stop.
  void end_cell();
  // The deadline moves by `waited` (time spent waiting for models is not the cell's).
  void extend_deadline(Clock::duration waited);
  // Counts `bytes` held outside Lua's heap against the limit; false (and a memory stop)
  // when they do not fit.
  bool charge(std::uint64_t bytes);
  // For C loops that may run long: raises the stop when the deadline has passed.
  void check_deadline(lua_State* L);
  // After a protected call failed with `status` and the error value on top: if it was Lua
  // running out of memory (after its emergency collection), the cell must stop.
  void note_failure(lua_State* L, int status);

private:
  static void on_hook(lua_State* L, lua_Debug* ar);
  static void on_alarm(int signal);
  // Sets the stop and hooks the main thread at every instruction, so the stop is raised
  // again whatever handler catches it (sticky) even when nothing else hooked it.
  void set_stop(lua_State* L, Stop stop);
  // The hook between cells: none when alarmed, else the periodic one.
  void rest_hook();

  Limits m_limits;
  bool m_alarm = false;
  lua_State* m_state = nullptr;
  std::uint64_t m_used = 0;
  std::uint64_t m_peak = 0;
  Clock::time_point m_deadline;
  Stop m_stop = Stop::none;
  bool m_refused = false; // the allocator refused a block during this cell
};

} // namespace rlm::lua
