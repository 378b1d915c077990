// The loop against the fake server: Ctrl-C stops a waiting model call and a running cell.
#include "fake_provider.hpp"
#include "loop/sub_calls.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/factory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rlm::loop {
namespace {

using nlohmann::json;

struct LoopFixture {
  explicit LoopFixture(json replies)
      : server(json{{"models", {{{"name", "m"}, {"context_length", 32768}}}},
                    {"replies", std::move(replies)},
                    {"default", {{"text", "FINAL(default)"}}}}) {
    config::ProviderConfig p;
    p.name = "fake";
    p.base_url = server.base_url();
    p.model = "m";
    p.context_length = 32768;
    cfg.providers = {p};
    pool = providers::make_pool(cfg, transport, [](std::string_view) { return std::nullopt; });
    docs.add_text("doc.txt", std::string(10'000, 'x'));
    settings.bypass_threshold = 10;
    settings.limits.cell_timeout_seconds = 60;
  }

  RunResult run_cancelled_after(std::chrono::milliseconds delay, double& seconds) {
    std::atomic<bool> cancel{false};
    std::jthread ctrl_c([&] {
      std::this_thread::sleep_for(delay);
      cancel = true;
    });
    Observer quiet;
    const auto started = std::chrono::steady_clock::now();
    auto result = run(docs, "q", *pool, load_prompts(""), settings, quiet, &cancel);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  testing::FakeProvider server;
  http::CurlTransport transport;
  config::Config cfg;
  std::unique_ptr<providers::Pool> pool;
  document::DocumentSet docs;
  RunSettings settings;
};

TEST(RunLoop, CtrlCAbortsAModelCallThatIsStillWaiting) {
  LoopFixture f(json::array({{{"fault", "stall"}, {"stall_seconds", 60}}}));
  double seconds = 0;
  const auto result = f.run_cancelled_after(std::chrono::milliseconds(300), seconds);
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_LT(seconds, 10.0);
}

TEST(RunLoop, CtrlCStopsACellThatRunsForever) {
  LoopFixture f(
      json::array({{{"match", {{"call", 1}}}, {"text", "```lua\nwhile true do end\n```"}}}));
  double seconds = 0;
  const auto result = f.run_cancelled_after(std::chrono::milliseconds(500), seconds);
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_LT(seconds, 10.0); // far below the 60 s cell limit
}

TEST(SubCallBudget, GrantsNoMoreThanTheLimitAcrossThreads) {
  SubCallBudget budget;
  budget.limit = 100;
  std::atomic<std::int64_t> granted{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) granted += budget.take(3);
      });
  }
  EXPECT_EQ(granted, 100);
  EXPECT_EQ(budget.left(), 0);
}

} // namespace
} // namespace rlm::loop
