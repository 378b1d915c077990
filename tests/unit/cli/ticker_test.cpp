#include "cli/ticker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <pthread.h>

namespace rlm::cli {
namespace {

using namespace std::chrono_literals;

bool blocked_here(int signal) {
  sigset_t set;
  sigemptyset(&set);
  pthread_sigmask(SIG_BLOCK, nullptr, &set);
  return sigismember(&set, signal) == 1;
}

TEST(Ticker, TicksUntilStopped) {
  std::atomic<int> ticks{0};
  Ticker ticker([&] { ++ticks; }, 2ms);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ticks < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ticker.stop();
  const int seen = ticks;
  std::this_thread::sleep_for(20ms);
  EXPECT_GE(seen, 3);
  EXPECT_EQ(ticks, seen);
}

TEST(Ticker, StopSignalsAreBlockedInItsThreadOnly) {
  std::atomic<int> blocked{-1};
  Ticker ticker(
      [&] { blocked = blocked_here(SIGINT) && blocked_here(SIGTERM) && blocked_here(SIGHUP); },
      1ms);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (blocked < 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ticker.stop();
  EXPECT_EQ(blocked, 1);
  EXPECT_FALSE(blocked_here(SIGINT)); // the thread that started it still takes Ctrl-C
}

TEST(Ticker, StopReturnsAtOnceWithinALongPeriodAndTwiceIsSafe) {
  int ticks = 0;
  const auto started = std::chrono::steady_clock::now();
  {
    Ticker ticker([&] { ++ticks; }, std::chrono::hours(1));
    ticker.stop();
    ticker.stop();
  } // the destructor stops it a third time
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(ticks, 0);
}

} // namespace
} // namespace rlm::cli
