// A thread that calls a function about once a period until it is stopped: the clock that
// makes the live status line tick while rlm waits on a model or a cell.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rlm::cli {

class Ticker {
public:
  // Starts the thread, which calls `tick` every `period` (the first after one period).
  // SIGINT, SIGTERM and SIGHUP are blocked in it, so they reach the threads whose blocking
  // calls they must interrupt (interrupt.hpp).
  Ticker(std::function<void()> tick, std::chrono::milliseconds period);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  // Wakes the thread and joins it: returns once a `tick` under way has returned. Safe to
  // call twice. The caller must not hold a lock that `tick` takes.
  void stop();

private:
  void run();

  std::function<void()> m_tick;
  std::chrono::milliseconds m_period;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::mutex m_join_mutex; // two stop() calls at once join once
  std::thread m_thread;
};

} // namespace rlm::cli
