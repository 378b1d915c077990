// Retries against the fake server: what is retried, what never is, and the waits between.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/retry.hpp"

#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

using nlohmann::json;

TEST(Backoff, DoublesFromHalfASecondUpToEightWithJitter) {
  const RetryPolicy policy;
  EXPECT_DOUBLE_EQ(backoff_seconds(0, std::nullopt, policy, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(backoff_seconds(2, std::nullopt, policy, 0.0), 2.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(10, std::nullopt, policy, 0.0), 8.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(0, std::nullopt, policy, 1.0), 0.375);
}

TEST(Backoff, RetryAfterWinsButIsCapped) {
  RetryPolicy policy;
  policy.max_delay_seconds = 10;
  EXPECT_DOUBLE_EQ(backoff_seconds(0, 3.0, policy, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(0, 3600.0, policy, 0.5), 10.0);
}

// A script with one reply rule.
json only(json rule) { return json::array({std::move(rule)}); }

struct RetryFixture {
  explicit RetryFixture(json replies)
      : server(json{{"models", {{{"name", "m"}, {"context_length", 8192}}}},
                    {"replies", std::move(replies)},
                    {"default", {{"text", "finally"}}}}),
        ollama(settings(server.base_url()), config::HttpSettings{}, transport) {}

  static config::ProviderConfig settings(const std::string& url) {
    config::ProviderConfig p;
    p.base_url = url;
    p.model = "m";
    p.name = "fake";
    return p;
  }

  std::expected<ChatResponse, ProviderError> chat(int max_retries = 2) {
    ChatRequest request;
    request.messages = {{"user", "q"}};
    RetryPolicy policy;
    policy.max_retries = max_retries;
    return chat_with_retries(
        ollama, request, policy,
        [this](double seconds) {
          waits.push_back(seconds);
          return true;
        },
        [] { return 0.0; });
  }

  int chats() const {
    int n = 0;
    for (const auto& r : server.requests()) n += r["path"] == "/api/chat" ? 1 : 0;
    return n;
  }

  testing::FakeProvider server;
  http::CurlTransport transport;
  OllamaProvider ollama;
  std::vector<double> waits;
};

TEST(Retries, RateLimitIsRetriedAfterRetryAfter) {
  RetryFixture f(only(json{
      {"match", {{"call", 1}}}, {"status", 429}, {"error", "slow down"}, {"retry_after", "3"}}));
  const auto answer = f.chat();
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "finally");
  EXPECT_EQ(f.chats(), 2);
  EXPECT_EQ(f.waits, std::vector<double>{3.0});
}

TEST(Retries, QueueFullIsRetriedWithBackoffUntilTheLimit) {
  RetryFixture f(only(json{{"fault", "queue_full"}}));
  const auto answer = f.chat(2);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, ProviderError::Kind::overloaded);
  EXPECT_EQ(f.chats(), 3);
  EXPECT_EQ(f.waits, (std::vector<double>{0.5, 1.0}));
}

TEST(Retries, ClientErrorsAreNeverRetried) {
  RetryFixture f(only(json{{"status", 400}, {"error", "invalid request"}}));
  EXPECT_FALSE(f.chat());
  EXPECT_EQ(f.chats(), 1);
  EXPECT_TRUE(f.waits.empty());
}

TEST(Retries, AStreamThatProducedOutputIsNeverRetried) {
  RetryFixture f(only(json{{"match", {{"call", 1}}}, {"fault", "mid_stream_error"}}));
  const auto answer = f.chat();
  ASSERT_FALSE(answer);
  EXPECT_TRUE(answer.error().produced_output);
  EXPECT_EQ(f.chats(), 1);
}

TEST(Retries, ACancelledWaitStops) {
  RetryFixture f(only(json{{"fault", "queue_full"}}));
  ChatRequest request;
  request.messages = {{"user", "q"}};
  const auto answer = chat_with_retries(
      f.ollama, request, RetryPolicy{}, [](double) { return false; }, [] { return 0.0; });
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, ProviderError::Kind::cancelled);
  EXPECT_EQ(f.chats(), 1);
}

} // namespace
} // namespace rlm::providers
