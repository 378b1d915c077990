#include "ticker.hpp"

#include <algorithm>
#include <csignal>
#include <pthread.h>

namespace rlm::cli {

namespace {

// Blocks the stop signals in the calling thread while it lives; a thread started meanwhile
// inherits the mask, so no signal can land in it before it could block them itself.
class StopSignalsBlocked {
public:
  StopSignalsBlocked() {
    sigset_t set;
    sigemptyset(&set);
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, signal);
    pthread_sigmask(SIG_BLOCK, &set, &m_old);
  }
  ~StopSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
  StopSignalsBlocked(const StopSignalsBlocked&) = delete;
  StopSignalsBlocked& operator=(const StopSignalsBlocked&) = delete;

private:
  sigset_t m_old{};
};

} // namespace

Ticker::Ticker(std::function<void()> tick, std::chrono::milliseconds period)
    : m_tick(std::move(tick)), m_period(period) {
  const StopSignalsBlocked blocked;
  m_thread = std::thread([this] { run(); });
}

Ticker::~Ticker() { stop(); }

void Ticker::stop() {
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  const std::lock_guard join_lock(m_join_mutex);
  if (m_thread.joinable()) m_thread.join();
}

void Ticker::run() {
  auto next = std::chrono::steady_clock::now() + m_period;
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_until(lock, next, [this] { return m_stopping; })) {
    lock.unlock();
    m_tick();
    lock.lock();
    // After a slow tick (a stalled terminal), the next comes a period later, not in a burst.
    next = std::max(next + m_period, std::chrono::steady_clock::now());
  }
}

} // namespace rlm::cli
