// The OpenAI-compatible client (DeepSeek, llama.cpp, vLLM) against the fake server: SSE
// with keep-alives, usage with cache hits, the key, and each error the APIs send.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/openai.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using Kind = ProviderError::Kind;

constexpr const char* k_key = "sk-test-0123456789abcdef0123456789";

json script(json replies) {
  return {{"models", {{{"name", "deepseek-chat"}}}},
          {"replies", std::move(replies)},
          {"default", {{"text", "ok"}}},
          {"expect_authorization", std::string("Bearer ") + k_key}};
}

Environment env_with_key() {
  return [](std::string_view name) -> std::optional<std::string> {
    return name == "DEEPSEEK_API_KEY" ? std::optional<std::string>(k_key) : std::nullopt;
  };
}

Environment empty_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

config::ProviderConfig settings(const std::string& base_url) {
  config::ProviderConfig p;
  p.type = config::ProviderType::deepseek;
  p.base_url = base_url + "/v1";
  p.model = "deepseek-chat";
  p.api_key_env = "DEEPSEEK_API_KEY";
  p.max_tokens = 256;
  return p;
}

ChatRequest ask(bool stream = true) {
  ChatRequest r;
  r.messages = {{"user", "What is 2 + 2?"}};
  r.stream = stream;
  return r;
}

struct OpenAiFixture {
  explicit OpenAiFixture(const json& s, const Environment& env = env_with_key())
      : server(s), client(settings(server.base_url()), config::HttpSettings{}, transport, env) {}
  testing::FakeProvider server;
  http::CurlTransport transport;
  OpenAiProvider client;
};

TEST(OpenAi, StreamsWithUsageIncludingDeepSeeksCacheHits) {
  OpenAiFixture f(script({{{"text", "Four."},
                           {"prompt_tokens", 40},
                           {"cached_tokens", 32},
                           {"completion_tokens", 2}}}));
  const auto answer = f.client.chat(ask());
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "Four.");
  EXPECT_EQ(answer->finish_reason, "stop");
  EXPECT_EQ(answer->usage.prompt_tokens, 40);
  EXPECT_EQ(answer->usage.cached_tokens, 32);
  EXPECT_EQ(answer->usage.completion_tokens, 2);
}

TEST(OpenAi, AlwaysSendsMaxTokensAndTheKeyAsABearerToken) {
  OpenAiFixture f(script(json::array()));
  ASSERT_TRUE(f.client.chat(ask()));
  const auto request = f.server.requests().back();
  EXPECT_EQ(request["path"], "/v1/chat/completions");
  EXPECT_EQ(request["body"]["max_tokens"], 256);
  EXPECT_EQ(request["body"]["stream_options"]["include_usage"], true);
  EXPECT_EQ(request["authorization_matches"], true);
}

TEST(OpenAi, DeepSeekIsAskedToThinkAndItsReasoningIsKeptApartWithRoomToThink) {
  testing::FakeProvider server(script({{{"replay", "constructed/deepseek/01-thinking-stream"}}}));
  http::CurlTransport transport;
  auto thinking = settings(server.base_url());
  thinking.think = config::Think::high;
  OpenAiProvider client(thinking, config::HttpSettings{}, transport, env_with_key());
  const auto answer = client.chat(ask());
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "```lua\nprint(#lines())\n```");
  EXPECT_EQ(answer->thinking, "Okay, the user wants the number of lines. Count them with code.");
  EXPECT_EQ(answer->usage.reasoning_tokens, 52);
  const auto body = server.requests().back()["body"];
  EXPECT_EQ(body["thinking"], json({{"type", "enabled"}}));
  EXPECT_EQ(body["reasoning_effort"], "high");
  EXPECT_EQ(body["max_tokens"], 8192); // max_tokens is 256
}

TEST(OpenAi, KeepAliveCommentsAndBlankLinesAreSkipped) {
  OpenAiFixture f(script({{{"fault", "keepalive"}, {"text", "after the wait"}}}));
  const auto streamed = f.client.chat(ask());
  ASSERT_TRUE(streamed) << streamed.error().message;
  EXPECT_EQ(streamed->text, "after the wait");
}

TEST(OpenAi, NonStreamingReplyPrecededByBlankLines) {
  OpenAiFixture f(script(
      {{{"fault", "keepalive"}, {"text", "padded"}, {"cached_tokens", 5}, {"prompt_tokens", 9}}}));
  const auto answer = f.client.chat(ask(false));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "padded");
  EXPECT_EQ(answer->usage.cached_tokens, 5);
}

TEST(OpenAi, MissingDeepSeekKeyFailsBeforeSendingAndNamesTheVariable) {
  OpenAiFixture f(script(json::array()), empty_env());
  const auto answer = f.client.chat(ask());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::auth);
  EXPECT_THAT(answer.error().message, HasSubstr("$DEEPSEEK_API_KEY is not set"));
  EXPECT_TRUE(f.server.requests().empty());
}

struct ErrorCase {
  int status;
  const char* error;
  Kind kind;
  bool retryable;
  const char* says;
};

class OpenAiErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(OpenAiErrors, EachBecomesOneClearLineWithoutTheKey) {
  const auto c = GetParam();
  OpenAiFixture f(script({{{"status", c.status}, {"error", c.error}, {"retry_after", "2"}}}));
  const auto answer = f.client.chat(ask());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, c.kind) << answer.error().message;
  EXPECT_EQ(answer.error().retryable, c.retryable);
  EXPECT_THAT(answer.error().message, HasSubstr(c.says));
  EXPECT_THAT(answer.error().message, Not(HasSubstr(k_key)));
  EXPECT_EQ(answer.error().message.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    DeepSeekAndOpenAi, OpenAiErrors,
    ::testing::Values(
        ErrorCase{401, "Authentication Fails", Kind::auth, false,
                  "rejected the API key from $DEEPSEEK_API_KEY (401)"},
        ErrorCase{402, "Insufficient Balance", Kind::balance, false, "insufficient balance (402)"},
        ErrorCase{404, "Model Not Exist", Kind::model_not_found, false,
                  "has no model 'deepseek-chat'"},
        ErrorCase{400,
                  "This model's maximum context length is 65536 tokens. However, you requested "
                  "90000 tokens",
                  Kind::context_overflow, false, "maximum context length is 65536 tokens"},
        ErrorCase{422, "Invalid Parameters", Kind::bad_request, false,
                  "refused the request for 'deepseek-chat' (422)"},
        ErrorCase{429, "Rate Limit Reached", Kind::rate_limited, true, "rate limiting (429)"},
        ErrorCase{500, "Server Error", Kind::server, true, "answered 500"},
        ErrorCase{503, "Server Overloaded", Kind::overloaded, true, "overloaded (503)"}));

TEST(OpenAi, RetryAfterIsRead) {
  OpenAiFixture f(script({{{"status", 429}, {"error", "slow down"}, {"retry_after", "3"}}}));
  const auto answer = f.client.chat(ask());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().retry_after_seconds, 3.0);
}

TEST(OpenAi, AMidStreamErrorEventIsAnErrorAndThePartialTextIsDropped) {
  OpenAiFixture f(script({{{"fault", "mid_stream_error"}, {"error", "upstream died"}}}));
  const auto answer = f.client.chat(ask());
  ASSERT_FALSE(answer);
  EXPECT_THAT(answer.error().message, HasSubstr("upstream died"));
  EXPECT_TRUE(answer.error().retryable);
}

TEST(OpenAi, AStreamThatBreaksOffIsARetryableError) {
  OpenAiFixture f(script({{{"fault", "drop"}}}));
  const auto answer = f.client.chat(ask());
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::protocol);
  EXPECT_TRUE(answer.error().retryable);
}

TEST(OpenAi, MalformedReplyIsAProtocolError) {
  OpenAiFixture f(script({{{"fault", "malformed"}}}));
  const auto answer = f.client.chat(ask(false));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::protocol);
}

} // namespace
} // namespace rlm::providers
