#include "run_guard.hpp"

#include "raise.hpp"

#include <lua.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string_view>
#include <sys/time.h>

namespace rlm::lua {

namespace {

constexpr int k_hook_instructions = 1000;

// The state the SIGALRM handler re-hooks: a signal handler can reach nothing else. Set
// only by the worker's one alarmed guard. (lua_sethook is safe to call from a handler.)
std::atomic<lua_State*> g_alarmed_state{nullptr};

[[noreturn]] void raise_stop(lua_State* L) { raise_error(L, "the cell was stopped"); }

} // namespace

RunGuard::RunGuard(const Limits& limits, bool alarm) : m_limits(limits), m_alarm(alarm) {}

RunGuard::~RunGuard() {
  if (!m_alarm) return;
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  g_alarmed_state = nullptr; // the state is about to be closed
}

RunGuard& RunGuard::of(lua_State* L) {
  void* self = nullptr;
  lua_getallocf(L, &self);
  return *static_cast<RunGuard*>(self);
}

void RunGuard::attach(lua_State* L) {
  m_state = L;
  rest_hook();
  if (!m_alarm) return;
  g_alarmed_state = L;
  struct sigaction action {};
  action.sa_handler = &RunGuard::on_alarm;
  action.sa_flags = SA_RESTART; // a read waiting for the parent simply goes on
  ::sigaction(SIGALRM, &action, nullptr);
}

void* RunGuard::allocate(void* self, void* block, std::size_t old_size, std::size_t new_size) {
  auto& guard = *static_cast<RunGuard*>(self);
  const std::size_t old = block != nullptr ? old_size : 0; // without a block, a type tag
  if (new_size == 0) {
    std::free(block);
    guard.m_used -= old;
    return nullptr;
  }
  // Never fail a shrink: Lua 5.4's emergency collector relies on shrinks succeeding.
  // A refusal is only noted: Lua collects garbage and retries, and raises "not enough
  // memory" only if that fails too (note_failure then stops the cell).
  if (new_size > old && guard.m_used + (new_size - old) >
                            static_cast<std::uint64_t>(guard.m_limits.memory_limit_bytes)) {
    guard.m_refused = true;
    return nullptr;
  }
  void* moved = std::realloc(block, new_size);
  if (moved == nullptr) {
    if (new_size <= old) return block;
    guard.m_refused = true;
    return nullptr;
  }
  guard.m_used = guard.m_used - old + new_size;
  guard.m_peak = std::max(guard.m_peak, guard.m_used);
  return moved;
}

void RunGuard::hook_coroutine(lua_State* thread) {
  lua_sethook(thread, &RunGuard::on_hook, LUA_MASKCOUNT, k_hook_instructions);
}

void RunGuard::rest_hook() {
  if (m_alarm) {
    lua_sethook(m_state, nullptr, 0, 0);
  } else {
    lua_sethook(m_state, &RunGuard::on_hook, LUA_MASKCOUNT, k_hook_instructions);
  }
}

void RunGuard::set_stop(lua_State* L, Stop stop) {
  m_stop = stop;
  lua_sethook(m_state, &RunGuard::on_hook, LUA_MASKCOUNT, 1);
  if (L != m_state) hook_coroutine(L); // a coroutine: hooked since its creation, kept so
}

void RunGuard::on_hook(lua_State* L, lua_Debug* /*ar*/) {
  auto& guard = of(L);
  if (guard.m_stop == Stop::none && Clock::now() > guard.m_deadline) {
    guard.set_stop(L, Stop::timeout);
  }
  // Raised again at every hook while the cell is stopping: a handler that catches it
  // (a __close, a loop around a failed call) meets it again a thousand instructions later.
  if (guard.m_stop != Stop::none) raise_stop(L);
}

void RunGuard::on_alarm(int /*signal*/) {
  if (lua_State* L = g_alarmed_state.load()) lua_sethook(L, &RunGuard::on_hook, LUA_MASKCOUNT, 1);
}

void RunGuard::begin_cell() {
  m_stop = Stop::none;
  m_refused = false;
  m_peak = m_used;
  m_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(m_limits.cell_timeout_seconds));
}

void RunGuard::arm_alarm() {
  if (!m_alarm) return;
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(m_deadline - Clock::now()).count();
  const auto usec = std::max<long long>(left, 1000);
  itimerval timer{};
  timer.it_value.tv_sec = static_cast<time_t>(usec / 1'000'000);
  timer.it_value.tv_usec = static_cast<suseconds_t>(usec % 1'000'000);
  ::setitimer(ITIMER_REAL, &timer, nullptr);
}

void RunGuard::end_cell() {
  if (m_alarm) {
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
  }
  rest_hook(); // after the timer is off: an alarm already delivered hooked the state
  m_stop = Stop::none;
}

void RunGuard::extend_deadline(Clock::duration waited) {
  m_deadline += waited;
  arm_alarm(); // the deadline moved
}

bool RunGuard::charge(std::uint64_t bytes) {
  if (m_used + bytes > static_cast<std::uint64_t>(m_limits.memory_limit_bytes)) {
    set_stop(m_state, Stop::memory);
    return false;
  }
  m_used += bytes;
  m_peak = std::max(m_peak, m_used);
  return true;
}

void RunGuard::check_deadline(lua_State* L) {
  if (m_stop == Stop::none && Clock::now() > m_deadline) set_stop(L, Stop::timeout);
  if (m_stop != Stop::none) raise_stop(L);
}

void RunGuard::note_failure(lua_State* L, int status) {
  if (m_stop != Stop::none) return;
  if (status == LUA_ERRMEM) {
    set_stop(L, Stop::memory);
    return;
  }
  // Errors that crossed coroutine.wrap arrive as ordinary errors, with a position prefix.
  std::size_t size = 0;
  const char* text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &size) : nullptr;
  if (m_refused && text != nullptr && std::string_view(text, size).ends_with("not enough memory")) {
    set_stop(L, Stop::memory);
  }
}

} // namespace rlm::lua
