// The Ollama client against the fake server: the request it sends (num_ctx sizing,
// truncate:false), streaming and not, and each error Ollama sends.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/context_window.hpp"
#include "rlm/providers/ollama.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Kind = ProviderError::Kind;

json script(json replies, std::int64_t context_length = 8192) {
  return {{"models", {{{"name", "qwen2.5:7b"}, {"context_length", context_length}}}},
          {"replies", std::move(replies)},
          {"default", {{"text", "default answer"}}}};
}

config::ProviderConfig settings(const std::string& base_url,
                                const std::string& model = "qwen2.5:7b") {
  config::ProviderConfig p;
  p.type = config::ProviderType::ollama;
  p.base_url = base_url;
  p.model = model;
  p.max_tokens = 512;
  return p;
}

ChatRequest ask(std::string text, bool stream = true) {
  ChatRequest r;
  r.messages = {{"system", "You answer briefly."}, {"user", std::move(text)}};
  r.stream = stream;
  return r;
}

struct OllamaFixture {
  explicit OllamaFixture(const json& s)
      : server(s), ollama(settings(server.base_url()), config::HttpSettings{}, transport) {}
  testing::FakeProvider server;
  http::CurlTransport transport;
  OllamaProvider ollama;
};

TEST(Ollama, StreamsTheAnswerAndReadsUsage) {
  OllamaFixture f(script({{{"text", "The capital is Paris."},
                           {"chunks", 4},
                           {"prompt_tokens", 21},
                           {"completion_tokens", 6}}}));
  const auto answer = f.ollama.chat(ask("What is the capital of France?"));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "The capital is Paris.");
  EXPECT_EQ(answer->finish_reason, "stop");
  EXPECT_EQ(answer->usage.prompt_tokens, 21);
  EXPECT_EQ(answer->usage.completion_tokens, 6);
  EXPECT_FALSE(answer->prompt_truncated);
}

TEST(Ollama, SendsTruncateFalseAndSizesNumCtxWithinTheModelsWindow) {
  OllamaFixture f(script(json::array()));
  const auto answer = f.ollama.chat(ask(std::string(6000, 'x')));
  ASSERT_TRUE(answer) << answer.error().message;
  const auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 2U); // /api/show once, then /api/chat
  EXPECT_EQ(requests[0]["path"], "/api/show");
  const auto& body = requests[1]["body"];
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["truncate"], false);
  EXPECT_EQ(body["options"]["num_predict"], 512);
  const auto num_ctx = body["options"]["num_ctx"].get<std::int64_t>();
  EXPECT_GE(num_ctx, TokenEstimator().estimate(ask(std::string(6000, 'x')).messages) + 512);
  EXPECT_LE(num_ctx, 8192);
  EXPECT_EQ(num_ctx % 1024, 0);
}

TEST(Ollama, AsksForTheContextLengthOnce) {
  OllamaFixture f(script(json::array()));
  ASSERT_TRUE(f.ollama.chat(ask("one")));
  ASSERT_TRUE(f.ollama.chat(ask("two", false)));
  int shows = 0;
  for (const auto& r : f.server.requests()) shows += r["path"] == "/api/show" ? 1 : 0;
  EXPECT_EQ(shows, 1);
}

TEST(Ollama, ReadsTheModelsDigestOnceFromTheListing) {
  auto s = script(json::array());
  s["models"].push_back({{"name", "llama3:latest"}, {"digest", "sha256:1234"}});
  testing::FakeProvider server(s);
  http::CurlTransport transport;
  OllamaProvider bare(settings(server.base_url(), "llama3"), config::HttpSettings{}, transport);
  EXPECT_EQ(bare.model_digest(), "sha256:1234"); // a bare name is ":latest"
  EXPECT_EQ(bare.model_digest(), "sha256:1234");
  int tags = 0;
  for (const auto& r : server.requests()) tags += r["path"] == "/api/tags" ? 1 : 0;
  EXPECT_EQ(tags, 1);
  OllamaProvider missing(settings(server.base_url(), "absent:7b"), config::HttpSettings{},
                         transport);
  EXPECT_EQ(missing.model_digest(), std::nullopt);
}

TEST(Ollama, NonStreamingAnswer) {
  OllamaFixture f(script({{{"text", "plain"}}}));
  const auto answer = f.ollama.chat(ask("q", false));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->text, "plain");
  EXPECT_EQ(f.server.requests().back()["body"]["stream"], false);
}

TEST(Ollama, APromptThatCannotFitIsRefusedBeforeSending) {
  OllamaFixture f(script(json::array(), 4096));
  const auto answer = f.ollama.chat(ask(std::string(20000, 'x')));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::context_overflow);
  EXPECT_THAT(answer.error().message,
              HasSubstr("does not fit the 4,096-token window of 'qwen2.5:7b'"));
  ASSERT_TRUE(answer.error().fits_chars);
  EXPECT_GT(*answer.error().fits_chars, 8000); // about (4096 - 256) tokens at 3 characters
  EXPECT_LT(*answer.error().fits_chars, 3 * 4096);
  for (const auto& r : f.server.requests()) EXPECT_NE(r["path"], "/api/chat");
}

TEST(Ollama, SilentTruncationIsDetected) {
  OllamaFixture f(script({{{"fault", "truncate"}, {"prompt_tokens", 200}}}, 32768));
  const auto answer = f.ollama.chat(ask(std::string(20000, 'x')));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_TRUE(answer->prompt_truncated);
}

TEST(Ollama, MissingModelSaysHowToPullIt) {
  testing::FakeProvider server(script(json::array()));
  http::CurlTransport transport;
  auto s = settings(server.base_url(), "llama3.1:8b");
  s.context_length = 8192; // skip /api/show, so the chat itself meets the 404
  OllamaProvider ollama(s, config::HttpSettings{}, transport);
  const auto answer = ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::model_not_found);
  EXPECT_THAT(answer.error().message, HasSubstr("pull it with: ollama pull llama3.1:8b"));
  EXPECT_FALSE(answer.error().retryable);
}

TEST(Ollama, QueueFullIsRetryable) {
  OllamaFixture f(script({{{"fault", "queue_full"}}}));
  const auto answer = f.ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::overloaded);
  EXPECT_TRUE(answer.error().retryable);
  EXPECT_THAT(answer.error().message, HasSubstr("maximum pending requests exceeded"));
}

TEST(Ollama, AMidStreamErrorLineIsARetryableErrorAndThePartialTextIsDropped) {
  OllamaFixture f(
      script({{{"fault", "mid_stream_error"}, {"error", "CUDA error: out of memory"}}}));
  const auto answer = f.ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::server);
  EXPECT_THAT(answer.error().message, HasSubstr("CUDA error: out of memory"));
  EXPECT_TRUE(answer.error().retryable);
}

TEST(Ollama, ADroppedStreamIsARetryableProtocolError) {
  OllamaFixture f(script({{{"fault", "drop"}}}));
  const auto answer = f.ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::protocol);
  EXPECT_TRUE(answer.error().retryable);
}

TEST(Ollama, MalformedJsonIsAProtocolError) {
  OllamaFixture f(script({{{"fault", "malformed"}}}));
  const auto answer = f.ollama.chat(ask("q", false));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::protocol);
}

TEST(Ollama, NothingListeningSaysHowToStartOllama) {
  http::CurlTransport transport;
  const auto url = "http://127.0.0.1:" + std::to_string(testing::unused_port());
  OllamaProvider ollama(settings(url), config::HttpSettings{}, transport);
  const auto answer = ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::unreachable);
  EXPECT_EQ(answer.error().message,
            "nothing answers at " + url + "; start it with `ollama serve` (or check base_url)");
  EXPECT_TRUE(answer.error().retryable);
}

} // namespace
} // namespace rlm::providers

namespace rlm::providers {
namespace {

TEST(Ollama, AnOverflowPassedOnFromItsLlamaServerIsAContextOverflowWithTheInnerMessage) {
  // Ollama 0.12.6+ with truncate:false hands llama-server's error body on as a string.
  OllamaFixture f(script(
      {{{"status", 400},
        {"error", "{\"error\":{\"code\":400,\"message\":\"request (9000 tokens) exceeds the "
                  "available context size (8192 tokens), try increasing it\",\"type\":"
                  "\"exceed_context_size_error\",\"n_prompt_tokens\":9000,\"n_ctx\":8192}}"}}}));
  const auto answer = f.ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::context_overflow);
  EXPECT_THAT(answer.error().message,
              HasSubstr("(request (9000 tokens) exceeds the available context size (8192"));
  EXPECT_FALSE(answer.error().retryable);
}

TEST(Ollama, AnEmptyAnswerCutAtMaxTokensIsAnErrorThatSaysToRaiseMaxTokens) {
  // Nothing at all, not even reasoning (a reply that is all reasoning is an answer: the
  // thinking-model captures in captures_test.cpp).
  OllamaFixture f(script({{{"text", ""}, {"finish_reason", "length"}}}));
  const auto answer = f.ollama.chat(ask("q"));
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, Kind::empty_reply);
  EXPECT_THAT(answer.error().message, HasSubstr("stopped at max_tokens (512) before writing any "
                                                "answer; raise max_tokens"));
}

TEST(Ollama, SendsThinkAndLeavesTheReasoningRoomInNumPredict) {
  testing::FakeProvider server(script(json::array(), 32768));
  http::CurlTransport transport;
  auto thinking = settings(server.base_url());
  thinking.think = config::Think::on;
  OllamaProvider ollama(thinking, config::HttpSettings{}, transport);
  ASSERT_TRUE(ollama.chat(ask("q")));
  const auto body = server.requests().back()["body"];
  EXPECT_EQ(body["think"], true);
  EXPECT_EQ(body["options"]["num_predict"], 8192); // max_tokens is 512
}

TEST(Ollama, OnceAReplyHeldReasoningLaterCallsLeaveItRoomToo) {
  OllamaFixture f(script(
      {{{"match", {{"call", 1}}}, {"replay", "constructed/ollama/01-qwen3-thinking-stream"}}},
      32768));
  const auto first = f.ollama.chat(ask("q"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->text, "```lua\nprint(#lines())\n```");
  ASSERT_TRUE(f.ollama.chat(ask("q")));
  const auto requests = f.server.requests();
  ASSERT_EQ(requests.size(), 3U);                      // /api/show, then two chats
  EXPECT_FALSE(requests[1]["body"].contains("think")); // unset: the server decides
  EXPECT_EQ(requests[1]["body"]["options"]["num_predict"], 512);
  EXPECT_EQ(requests[2]["body"]["options"]["num_predict"], 8192);
}

} // namespace
} // namespace rlm::providers
