// The runner against the fake server with a scripted model (its scores prove the machinery,
// not a model's accuracy): both methods, resume, provider failures, Ctrl-C.
#include "fake_provider.hpp"
#include "rlm/bench/runner.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/factory.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace rlm::bench {
namespace {

using ::testing::HasSubstr;

nlohmann::json niah_script() {
  std::ifstream in(std::string(RLM_SOURCE_DIR) + "/tests/bench/niah-script.json");
  return nlohmann::json::parse(in);
}

class Recorder final : public BenchObserver {
public:
  void on_plan(std::size_t to_run, std::size_t done) override {
    planned = to_run;
    skipped = done;
  }
  void on_task_done(const TaskRecord& r) override { records.push_back(r); }
  void on_task_failed(const PlannedTask&, const std::string& message) override {
    failures.push_back(message);
  }
  std::size_t planned = 0;
  std::size_t skipped = 0;
  std::vector<TaskRecord> records;
  std::vector<std::string> failures;
};

struct BenchFixture {
  explicit BenchFixture(const std::string& base_url) {
    char pattern[] = "/tmp/rlm-bench-test-XXXXXX";
    dir = ::mkdtemp(pattern);
    config::ProviderConfig p;
    p.name = "fake";
    p.base_url = base_url;
    p.model = "scripted";
    cfg.providers = {p};
    cfg.http.max_retries = 0;
    pool = providers::make_pool(cfg, transport, [](std::string_view) { return std::nullopt; });
    plan.suites = {"niah"};
    plan.lengths = {4096, 65536};
    plan.positions = {0.1, 0.9};
    plan.methods = {Method::rlm, Method::vanilla};
    plan.jobs = 2;
    plan.model = "scripted";
    plan.label = "scripted";
    settings.limits.cell_timeout_seconds = 30;
  }
  ~BenchFixture() { std::filesystem::remove_all(dir); }

  BenchOutcome run(Recorder& recorder, const std::atomic<bool>* cancel = nullptr) {
    Setup setup{*pool, prompts, settings, {{"fake", cfg.providers[0]}}};
    auto results = ResultsFile::open(dir + "/r.jsonl");
    if (!results) {
      ADD_FAILURE() << results.error().message;
      return {};
    }
    auto outcome = run_bench(plan, setup, **results, recorder, cancel);
    EXPECT_TRUE(outcome) << outcome.error().message;
    return outcome.value_or(BenchOutcome{});
  }

  std::string dir;
  config::Config cfg;
  http::CurlTransport transport;
  std::unique_ptr<providers::Pool> pool;
  loop::Prompts prompts = loop::load_prompts("").value();
  loop::RunSettings settings;
  Plan plan;
};

TEST(BenchRunner, RunsBothMethodsAndARerunSkipsEveryFinishedTask) {
  testing::FakeProvider server(niah_script());
  BenchFixture f(server.base_url());
  Recorder first;
  const auto outcome = f.run(first);
  EXPECT_EQ(outcome.finished, 8U);
  EXPECT_EQ(outcome.failed, 0U);
  ASSERT_EQ(first.records.size(), 8U);
  for (const auto& r : first.records) {
    EXPECT_EQ(r.label, "scripted");
    if (r.method == Method::rlm) {
      // The scripted root's Lua found the needle through sub-calls.
      EXPECT_EQ(r.score, 1.0) << r.answer;
      EXPECT_EQ(r.status, Status::ok);
      EXPECT_EQ(r.root.calls, 1);
      EXPECT_GE(r.sub.calls, 1);
      EXPECT_GT(r.sub.prompt, 0);
    } else if (r.length_tokens == 4096) {
      EXPECT_EQ(r.score, 1.0) << r.answer;
      EXPECT_EQ(r.root.calls, 1);
      EXPECT_GT(r.root.prompt, 4096);
    } else {
      // 64k tokens do not fit the model's 32k window: refused, never silently cut.
      EXPECT_EQ(r.status, Status::truncated);
      EXPECT_EQ(r.score, 0.0);
      EXPECT_THAT(r.error, HasSubstr("does not fit"));
    }
  }
  const auto chats = [&] {
    std::size_t n = 0;
    for (const auto& q : server.requests()) n += q.value("path", "") == "/api/chat" ? 1U : 0U;
    return n;
  };
  const auto chats_before = chats();

  Recorder second;
  const auto again = f.run(second);
  EXPECT_EQ(again.skipped, 8U);
  EXPECT_EQ(again.finished, 0U);
  EXPECT_EQ(second.planned, 0U);
  EXPECT_EQ(chats(), chats_before); // nothing was asked again
  EXPECT_EQ(read_results(f.dir + "/r.jsonl")->records.size(), 8U);
}

TEST(BenchRunner, ADeadProviderStopsTheRunAndRecordsNothing) {
  BenchFixture f("http://127.0.0.1:" + std::to_string(testing::unused_port()));
  f.plan.jobs = 1;
  Recorder recorder;
  const auto outcome = f.run(recorder);
  EXPECT_EQ(outcome.finished, 0U);
  EXPECT_EQ(outcome.failed, static_cast<std::size_t>(k_failures_in_a_row));
  EXPECT_THAT(outcome.halted, HasSubstr("in a row failed at the provider"));
  EXPECT_FALSE(outcome.interrupted);
  ASSERT_FALSE(recorder.failures.empty());
  EXPECT_THAT(recorder.failures[0], HasSubstr("127.0.0.1"));
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/r.jsonl")); // no empty file left behind
}

TEST(BenchRunner, ASubCallTheProviderFailedLeavesTheTaskUnrecorded) {
  // A dead or rate-limited sub provider says nothing about the method: the task is tried
  // again by the next run, never recorded as a wrong answer.
  auto script = niah_script();
  script["replies"][0]["status"] = 500;
  script["replies"][0]["error"] = "out of memory";
  testing::FakeProvider server(script);
  BenchFixture f(server.base_url());
  f.plan.methods = {Method::rlm};
  f.plan.lengths = {4096};
  f.plan.positions = {0.5};
  Recorder recorder;
  const auto outcome = f.run(recorder);
  EXPECT_EQ(outcome.finished, 0U);
  EXPECT_EQ(outcome.failed, 1U);
  ASSERT_EQ(recorder.failures.size(), 1U);
  EXPECT_THAT(recorder.failures[0], HasSubstr("a sub-call failed at the provider"));
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/r.jsonl"));
}

TEST(BenchRunner, CtrlCStopsTheRunAndRecordsNoHalfTask) {
  auto script = niah_script();
  for (auto& rule : script["replies"]) rule["latency_ms"] = 2000;
  testing::FakeProvider server(script);
  BenchFixture f(server.base_url());
  std::atomic<bool> cancel{false};
  std::jthread ctrl_c([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  Recorder recorder;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = f.run(recorder, &cancel);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 10);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(outcome.finished, 0U);
  EXPECT_TRUE(recorder.records.empty());
  EXPECT_TRUE(recorder.failures.empty());
}

} // namespace
} // namespace rlm::bench
