#include "cli/progress.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace rlm::cli {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A clock the test moves, and what Progress wrote to "stderr".
struct FakeStderr {
  Clock::time_point now{};
  std::mutex mutex;
  std::vector<std::string> raw;   // live-line writes, as written
  std::vector<std::string> lines; // "level: message"

  ProgressIo io(std::chrono::milliseconds tick_every = 0ms) {
    ProgressIo io;
    io.now = [this] {
      const std::lock_guard lock(mutex);
      return now;
    };
    io.write_raw = [this](std::string_view text) {
      const std::lock_guard lock(mutex);
      raw.emplace_back(text);
    };
    io.write_line = [this](std::string_view level, std::string_view message) {
      const std::lock_guard lock(mutex);
      lines.push_back(std::string(level) + ": " + std::string(message));
    };
    io.fit = [](std::string_view line) { return std::string(line); };
    io.tick_every = tick_every;
    return io;
  }
  void advance(Clock::duration d) {
    const std::lock_guard lock(mutex);
    now += d;
  }
  std::string last() {
    const std::lock_guard lock(mutex);
    return raw.empty() ? "" : raw.back();
  }
  std::size_t writes() {
    const std::lock_guard lock(mutex);
    return raw.size();
  }
};

loop::StartInfo rlm_start() { return {}; }

loop::SubCallRecord answered() {
  loop::SubCallRecord r;
  r.usage.prompt_tokens = 10;
  return r;
}

TEST(Progress, WaitingForTheRootModelCountsItsSeconds) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_start(rlm_start());
  progress.on_model_call(1, 0);
  err.advance(12s);
  progress.tick();
  EXPECT_EQ(err.last(), "\r\x1b[2Krlm: turn 1/10 · sub-calls 0/100 · tokens 0 · 12 s · "
                        "waiting for the root model 0:12");
  err.advance(63s);
  progress.tick();
  EXPECT_NE(err.last().find("waiting for the root model 1:15"), std::string::npos) << err.last();
}

TEST(Progress, ATickWritesOnlyWhenASecondWentBy) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_model_call(1, 0);
  const auto writes = err.writes();
  err.advance(400ms);
  progress.tick();
  EXPECT_EQ(err.writes(), writes);
  err.advance(600ms);
  progress.tick();
  EXPECT_EQ(err.writes(), writes + 1);
  EXPECT_NE(err.last().find("waiting for the root model 0:01"), std::string::npos) << err.last();
}

TEST(Progress, TheFinalCallAfterTheLastTurnIsNoTurnOfItsOwn) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 4, 100, err.io());
  progress.on_model_call(5, 0);
  EXPECT_NE(err.last().find("rlm: turn 4/4 ·"), std::string::npos) << err.last();
}

TEST(Progress, ARunningCellHasItsOwnTimer) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_model_call(1, 0);
  err.advance(20s);
  progress.on_cell_start(0);
  err.advance(3s);
  progress.tick();
  EXPECT_NE(err.last().find("· 23 s · running cell 0:03"), std::string::npos) << err.last();
  progress.on_cell_end(0);
  EXPECT_NE(err.last().find("reading the output"), std::string::npos) << err.last();
  progress.on_model_call(2, 0);
  err.advance(2s);
  progress.tick();
  EXPECT_NE(err.last().find("turn 2/10 · sub-calls 0/100 · tokens 0 · 25 s · waiting for "
                            "the root model 0:02"),
            std::string::npos)
      << err.last();
}

TEST(Progress, ANestedRunsCellsLeaveTheRootsActivity) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_cell_start(0);
  err.advance(5s);
  progress.on_cell_start(1);
  progress.on_cell_end(1);
  progress.on_model_call(1, 1);
  progress.tick();
  EXPECT_NE(err.last().find("turn 0/10"), std::string::npos) << err.last();
  EXPECT_NE(err.last().find("running cell 0:05"), std::string::npos) << err.last();
}

TEST(Progress, SubCallsInFlightAreCountedAcrossThreads) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_cell_start(0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { progress.on_sub_call_start(); });
  for (auto& t : threads) t.join();
  threads.clear();
  for (int i = 0; i < 3; ++i) threads.emplace_back([&] { progress.on_sub_call(answered()); });
  for (auto& t : threads) t.join();
  err.advance(4s);
  progress.tick();
  EXPECT_NE(err.last().find("sub-calls 3/100 · tokens 30 · 4 s · running cell 0:04 · "
                            "sub-calls 5/8 in flight"),
            std::string::npos)
      << err.last();
  for (int i = 0; i < 5; ++i) progress.on_sub_call(answered());
  EXPECT_NE(err.last().find("running cell 0:04"), std::string::npos) << err.last();
  EXPECT_EQ(err.last().find("in flight"), std::string::npos) << err.last();
}

TEST(Progress, ACancelledSubCallLeavesTheFlightButIsNotCounted) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_cell_start(0);
  progress.on_sub_call_start();
  progress.on_sub_call_start();
  auto cancelled = answered();
  cancelled.error_kind = providers::ProviderError::Kind::cancelled;
  progress.on_sub_call(cancelled);
  progress.tick();
  EXPECT_NE(err.last().find("sub-calls 0/100"), std::string::npos) << err.last();
  EXPECT_NE(err.last().find("sub-calls 1/2 in flight"), std::string::npos) << err.last();
}

TEST(Progress, ANewCellCountsItsOwnSubCalls) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_cell_start(0);
  for (int i = 0; i < 4; ++i) progress.on_sub_call_start();
  for (int i = 0; i < 4; ++i) progress.on_sub_call(answered());
  progress.on_cell_end(0);
  progress.on_cell_start(0);
  progress.on_sub_call_start();
  EXPECT_NE(err.last().find("sub-calls 1/1 in flight"), std::string::npos) << err.last();
}

TEST(Progress, BypassShowsTheDirectCallWaiting) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  auto start = rlm_start();
  start.mode = loop::RunMode::bypass;
  progress.on_start(start);
  progress.on_model_call(1, 0);
  err.advance(61s);
  progress.tick();
  EXPECT_EQ(err.last(), "\r\x1b[2Krlm: small document, one direct call · 61 s · "
                        "waiting for the root model 1:01");
}

TEST(Progress, LinesStyleWritesOneLinePerEventAndNoLiveLine) {
  FakeStderr err;
  Progress progress(Progress::Style::lines, 10, 100, err.io(10ms));
  progress.on_start(rlm_start());
  progress.on_model_call(1, 0);
  progress.on_cell_start(0);
  progress.on_sub_call_start();
  progress.on_sub_call(answered());
  progress.on_cell_end(0);
  loop::IterationRecord turn;
  turn.number = 1;
  turn.cells.resize(1);
  turn.sub_calls.resize(1);
  turn.seconds = 2.5;
  progress.on_iteration(turn);
  std::this_thread::sleep_for(50ms); // a ticker, if there were one, would have drawn by now
  progress.tick();
  progress.done();
  EXPECT_EQ(err.lines,
            (std::vector<std::string>{"info: starting the RLM loop",
                                      "info: turn 1: 1 code block, 0 errors, 1 sub-call, 2.5 s"}));
  EXPECT_TRUE(err.raw.empty());
}

TEST(Progress, AWarningClearsTheLiveLineFirst) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_cell_start(0);
  progress.on_sub_call_start();
  auto failed = answered();
  failed.error = "the server said no";
  failed.error_kind = providers::ProviderError::Kind::server;
  progress.on_sub_call(failed);
  ASSERT_GE(err.raw.size(), 3U);
  EXPECT_EQ(err.raw[err.raw.size() - 2], "\r\x1b[2K");
  ASSERT_EQ(err.lines.size(), 1U);
  EXPECT_NE(err.lines[0].find("a sub-call failed: the server said no"), std::string::npos);
}

TEST(Progress, DoneClearsTheLineAndNothingIsDrawnAfter) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io());
  progress.on_model_call(1, 0);
  progress.done();
  EXPECT_EQ(err.last(), "\r\x1b[2K");
  const auto writes = err.writes();
  progress.tick();
  progress.on_model_call(2, 0);
  progress.done();
  EXPECT_EQ(err.writes(), writes);
}

TEST(Progress, TheTickerRedrawsTheLineAsTimePasses) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io(5ms));
  progress.on_model_call(1, 0);
  err.advance(7s);
  const auto deadline = Clock::now() + 5s;
  while (err.last().find("root model 0:07") == std::string::npos && Clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_NE(err.last().find("waiting for the root model 0:07"), std::string::npos) << err.last();
  progress.done();
}

TEST(Progress, DoneStopsTheTickerAtOnceEvenWithASlowPeriod) {
  FakeStderr err;
  auto progress =
      std::make_unique<Progress>(Progress::Style::live, 10, 100, err.io(std::chrono::hours(1)));
  const auto started = Clock::now();
  progress->done();
  progress->done();
  progress.reset();
  EXPECT_LT(Clock::now() - started, 1s);
}

TEST(Progress, DoneWhileTicksRaceWithEventsDoesNotHang) {
  FakeStderr err;
  Progress progress(Progress::Style::live, 10, 100, err.io(1ms));
  std::atomic<bool> stop{false};
  std::thread events([&] {
    while (!stop) {
      progress.on_sub_call_start();
      progress.on_sub_call(answered());
    }
  });
  std::this_thread::sleep_for(30ms);
  const auto started = Clock::now();
  progress.done();
  EXPECT_LT(Clock::now() - started, 1s);
  stop = true;
  events.join();
  EXPECT_EQ(err.last(), "\r\x1b[2K"); // events after done() draw nothing
}

} // namespace
} // namespace rlm::cli
