// The pool through the real curl transport: failover from a port where nothing listens to
// the fake server, and retries of what the fake server answers.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/factory.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/pool.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rlm::providers {
namespace {

using Kind = ProviderError::Kind;
using nlohmann::json;

// Through the real transport: a dead port first, then the fake server.
config::ProviderConfig ollama_at(const std::string& url, const std::string& name) {
  config::ProviderConfig p;
  p.name = name;
  p.base_url = url;
  p.model = "m";
  p.context_length = 8192;
  return p;
}

TEST(PoolWire, FailsOverFromADeadHostToALiveOne) {
  testing::FakeProvider server(
      json{{"models", {{{"name", "m"}}}}, {"default", {{"text", "alive"}}}});
  http::CurlTransport transport;
  config::Config cfg;
  cfg.providers = {ollama_at("http://127.0.0.1:" + std::to_string(testing::unused_port()), "dead"),
                   ollama_at(server.base_url(), "live")};
  auto pool = make_pool(cfg, transport, [](std::string_view) { return std::nullopt; });
  for (int i = 0; i < 8; ++i) {
    ChatRequest request;
    request.messages = {{"user", "q"}};
    const auto answer = pool->chat(config::Role::root, request);
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_EQ(answer->response.text, "alive");
    EXPECT_EQ(answer->provider, "live");
  }
  // Weighted turns send every other call to the dead host until its third failure opens the
  // circuit; after that it is left alone.
  const auto usage = pool->usage();
  EXPECT_EQ(usage.providers[0].tally.failures, 3);
  EXPECT_EQ(usage.providers[1].tally.calls, 8);
}

// Retries through the real transport against the fake server.
struct RetryFixture {
  explicit RetryFixture(json replies)
      : server(json{{"models", {{{"name", "m"}, {"context_length", 8192}}}},
                    {"replies", std::move(replies)},
                    {"default", {{"text", "finally"}}}}) {}

  std::expected<PoolAnswer, ProviderError> chat(int max_retries = 2, Sleeper sleep = nullptr) {
    std::vector<std::unique_ptr<Provider>> one;
    one.push_back(std::make_unique<OllamaProvider>(ollama_at(server.base_url(), "fake"),
                                                   config::HttpSettings{}, transport));
    PoolOptions options;
    options.retry.max_retries = max_retries;
    options.sleep = sleep ? sleep : [this](double seconds) {
      waits.push_back(seconds);
      return true;
    };
    options.jitter = [] { return 0.0; };
    Pool pool(std::move(one), options);
    ChatRequest request;
    request.messages = {{"user", "q"}};
    return pool.chat(config::Role::root, request);
  }

  int chats() const {
    int n = 0;
    for (const auto& r : server.requests()) n += r["path"] == "/api/chat" ? 1 : 0;
    return n;
  }

  testing::FakeProvider server;
  http::CurlTransport transport;
  std::vector<double> waits;
};

json only(json rule) { return json::array({std::move(rule)}); }

TEST(Retries, RateLimitIsRetriedAfterRetryAfter) {
  RetryFixture f(only(json{
      {"match", {{"call", 1}}}, {"status", 429}, {"error", "slow down"}, {"retry_after", "3"}}));
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->response.text, "finally");
  EXPECT_EQ(f.chats(), 2);
  EXPECT_EQ(f.waits, std::vector<double>{3.0});
}

TEST(Retries, QueueFullIsRetriedWithBackoffUntilTheLimit) {
  RetryFixture f(only(json{{"fault", "queue_full"}}));
  const auto answer = f.chat(2);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::overloaded);
  EXPECT_EQ(f.chats(), 3);
  EXPECT_EQ(f.waits, (std::vector<double>{0.5, 1.0}));
}

TEST(Retries, ClientErrorsAreNeverRetried) {
  RetryFixture f(only(json{{"status", 400}, {"error", "invalid request"}}));
  EXPECT_FALSE(f.chat());
  EXPECT_EQ(f.chats(), 1);
  EXPECT_TRUE(f.waits.empty());
}

TEST(Retries, AConnectionThatBrokeMidReplyIsRetriedAndThePartialTextDiscarded) {
  RetryFixture f(only(json{{"match", {{"call", 1}}}, {"fault", "drop"}, {"text", "PARTIAL"}}));
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->response.text, "finally");
  EXPECT_EQ(answer->attempts, 2);
  EXPECT_EQ(f.chats(), 2);
}

TEST(Retries, TheLastErrorSaysHowManyTriesWereMade) {
  RetryFixture f(only(json{{"fault", "drop"}}));
  const auto answer = f.chat(2);
  ASSERT_FALSE(answer);
  EXPECT_EQ(f.chats(), 3);
  EXPECT_NE(answer.error().message.find("(gave up after 3 tries)"), std::string::npos)
      << answer.error().message;
}

TEST(Retries, ACancelledWaitStops) {
  RetryFixture f(only(json{{"fault", "queue_full"}}));
  const auto answer = f.chat(2, [](double) { return false; });
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::cancelled);
  EXPECT_EQ(f.chats(), 1);
}

} // namespace
} // namespace rlm::providers
