// Streaming execution against the fake server: a turn whose code block has closed runs at
// once, without waiting for the slow tail the model writes after it.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/factory.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace rlm::loop {
namespace {

using nlohmann::json;

// 150 tokens at 30 tokens/s: 5 s of explanation after the code block.
json tail_150_tokens() {
  std::string text;
  for (int i = 0; i < 150; ++i) text += "word ";
  return {{"text", text}, {"tokens_per_second", 30}};
}

struct Turns : Observer {
  void on_iteration(const IterationRecord& r) override { records.push_back(r); }
  std::vector<IterationRecord> records;
};

struct StreamFixture {
  explicit StreamFixture(config::ProviderType type)
      : server(json{{"models", {{{"name", "m"}, {"context_length", 32768}}}},
                    {"replies",
                     {{{"match", {{"call", 1}}},
                       {"text", "Let me look.\n```lua\nprint(#context)\n```\n"},
                       {"tail", tail_150_tokens()}}}},
                    {"default", {{"text", "FINAL(done)"}}}}) {
    config::ProviderConfig p;
    p.type = type;
    p.name = "fake";
    p.base_url = server.base_url() + (type == config::ProviderType::ollama ? "" : "/v1");
    p.model = "m";
    p.context_length = 32768;
    cfg.providers = {p};
    pool = providers::make_pool(cfg, transport, [](std::string_view) { return std::nullopt; });
    EXPECT_TRUE(docs.add_text("doc.txt", std::string(10'000, 'x')));
    settings.bypass_threshold = 10;
  }

  RunResult run_timed(double& seconds) {
    const auto started = std::chrono::steady_clock::now();
    auto result = run(docs, "q", {*pool, load_prompts("").value(), settings, turns, nullptr});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  int chat_requests() const {
    int n = 0;
    for (const auto& r : server.requests())
      n += r["path"].get<std::string>().find("chat") != std::string::npos ? 1 : 0;
    return n;
  }

  testing::FakeProvider server;
  http::CurlTransport transport;
  config::Config cfg;
  std::unique_ptr<providers::Pool> pool;
  document::DocumentSet docs;
  RunSettings settings;
  Turns turns;
};

class StreamExecution : public ::testing::TestWithParam<config::ProviderType> {};

TEST_P(StreamExecution, ATurnEndsWhenItsCodeBlockClosesNotWhenTheTailDoes) {
  StreamFixture f(GetParam());
  double seconds = 0;
  const auto result = f.run_timed(seconds);
  ASSERT_EQ(result.answer, "done");
  EXPECT_LT(seconds, 2.5);         // the tail alone takes 5 s
  EXPECT_EQ(f.chat_requests(), 2); // no retry of the stopped turn
  ASSERT_FALSE(f.turns.records.empty());
  const auto& first = f.turns.records.front();
  ASSERT_TRUE(first.stream_stopped);
  EXPECT_EQ(first.reply, "Let me look.\n```lua\nprint(#context)\n```\n");
  EXPECT_EQ(first.stream_stopped->at_char, first.reply.size());
  ASSERT_EQ(first.cells.size(), 1U);
  // The usage chunk never came, but the prompt was read (and an API bills it): estimated,
  // never 0, so budgets and costs still count it.
  EXPECT_GT(first.usage.prompt_tokens, 100);
  EXPECT_GT(first.usage.completion_tokens, 0);
}

TEST_P(StreamExecution, TurnedOffTheTurnWaitsForTheWholeReply) {
  StreamFixture f(GetParam());
  f.settings.stream_execution = false;
  double seconds = 0;
  const auto result = f.run_timed(seconds);
  ASSERT_EQ(result.answer, "done");
  EXPECT_GT(seconds, 4.5);
  EXPECT_EQ(f.chat_requests(), 2);
  ASSERT_FALSE(f.turns.records.empty());
  EXPECT_FALSE(f.turns.records.front().stream_stopped);
  EXPECT_TRUE(f.turns.records.front().reply.ends_with("word "));
}

INSTANTIATE_TEST_SUITE_P(BothProtocols, StreamExecution,
                         ::testing::Values(config::ProviderType::ollama,
                                           config::ProviderType::openai));

} // namespace
} // namespace rlm::loop
