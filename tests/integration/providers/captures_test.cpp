// Conformance with real servers: every reply recorded from a real llama.cpp server
// (tests/captures/, see its README), and the thinking-model replies constructed from the
// servers' source (tests/captures/constructed/), is replayed byte for byte by the fake
// provider as the answer to a chat request, and what rlm makes of it is asserted here. A capture
// added without a case here fails EveryCaptureHasACase.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/openai.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace rlm::providers {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using Kind = ProviderError::Kind;

const std::string k_captures = RLM_SOURCE_DIR "/tests/captures";
// The folders recorded on 2026-12-01 share this prefix.
#define N "llama-server/llama-server-"

struct Case {
  const char* capture; // under tests/captures, without the extension
  bool answered = false;
  Kind kind = Kind::protocol; // when not answered
  const char* says = "";      // a part of the answer's text, or of the error's message
  bool retryable = false;     // when not answered
  const char* finish = "";    // when answered
  std::int64_t prompt_tokens = -1;
  std::int64_t completion_tokens = -1;
  bool truncated = false;
  const char* props = nullptr;    // a /props capture the server answers with, if any
  const char* tokenize = nullptr; // a /tokenize capture it answers with, if any
  const char* reasoning = "";     // a part of the reasoning, apart from the answer
  std::int64_t reasoning_tokens = 0;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.capture; }

Case answer(const char* capture, const char* says, const char* finish,
            std::int64_t prompt_tokens = -1, std::int64_t completion_tokens = -1) {
  Case c{capture};
  c.answered = true;
  c.says = says;
  c.finish = finish;
  c.prompt_tokens = prompt_tokens;
  c.completion_tokens = completion_tokens;
  return c;
}

Case error(const char* capture, Kind kind, const char* says, bool retryable) {
  Case c{capture};
  c.kind = kind;
  c.says = says;
  c.retryable = retryable;
  return c;
}

Case with_props(Case c, const char* props, const char* tokenize = nullptr) {
  c.props = props;
  c.tokenize = tokenize;
  return c;
}

// A thinking model's reply: the answer `c` says, and this reasoning apart from it.
Case thinking(Case c, const char* reasoning, std::int64_t reasoning_tokens) {
  c.reasoning = reasoning;
  c.reasoning_tokens = reasoning_tokens;
  return c;
}

Case truncated(Case c) {
  c.truncated = true;
  return c;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool header_says(const std::string& capture, const char* text) {
  return read_file(k_captures + "/" + capture + ".hdr").find(text) != std::string::npos;
}

bool is_event_stream(const std::string& capture) {
  return header_says(capture, "text/event-stream") || header_says(capture, "application/x-ndjson");
}

// Ollama's replies (NDJSON, or one object) are read by the Ollama client; the rest are
// OpenAI-compatible.
bool is_ollama(const std::string& capture) { return capture.starts_with("constructed/ollama/"); }

// The chat request the capture was recorded with (its .req), or a short one.
ChatRequest request_for(const std::string& capture) {
  ChatRequest request;
  request.stream = is_event_stream(capture);
  const auto recorded = json::parse(read_file(k_captures + "/" + capture + ".req"), nullptr, false);
  if (recorded.is_object() && recorded.contains("messages") && recorded["messages"].is_array()) {
    for (const auto& m : recorded["messages"]) {
      if (m.is_object() && m.value("content", json()).is_string())
        request.messages.push_back({m.value("role", "user"), m["content"].get<std::string>()});
    }
  }
  if (request.messages.empty()) request.messages = {{"user", "Say hi"}};
  return request;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // Chat completions: text, finish reason and usage as the server counted them.
      answer("llama-server/llama-server-main/04-chat-nonstream", "zeccsolOnClickListener", "length",
             52, 16),
      answer("llama-server/llama-server-main/05-chat-stream", "zeccsol", "length", 31, 6),
      answer("llama-server/llama-server-main/06-chat-stream-include-usage", "zeccsol", "length", 31,
             4),
      answer("llama-server/llama-server-main/08-chat-long-prompt", "zec leaf", "length", 5932, 4),
      answer("llama-server/llama-server-main/09-chat-long-prompt-stream", "zec", "length", 5932, 4),
      answer("llama-server/llama-server-main/10-chat-prompt-over-total-ctx", "zec leaf", "length",
             7260, 4),
      answer("llama-server/llama-server-main/22-err-empty-messages", "imate probable", "length", 11,
             4),
      answer("llama-server/llama-server-main/27-logprobs", "zeccsol", "length"),
      answer("llama-server/llama-server-main/28-stop-param", "z", "stop"),
      answer("llama-server/llama-server-eos/50-eos-nonstream", "pusћа founder", "stop", 31, 10),
      answer("llama-server/llama-server-eos/51-eos-stream", "pusћа founder", "stop", 31, 10),
      // The server says no: one error of the right kind, with what it said.
      error("llama-server/llama-server-noshift/40-noshift-long-prompt", Kind::context_overflow,
            "exceeds the available context size", false),
      // HTTP 200, then an `error:` line and `data: [DONE]`: an error, never an empty answer.
      error("llama-server/llama-server-noshift/41-noshift-long-prompt-stream",
            Kind::context_overflow, "give the server a bigger window", false),
      error("llama-server/llama-server-noshift/43-noshift-generation-hits-ctx",
            Kind::context_overflow, "ran into the end of the server's context window", false),
      error("llama-server/llama-server-noshift/44-noshift-v1-completions-long",
            Kind::context_overflow, "exceeds the available context size", false),
      error("llama-server/llama-server-loading/01-health-while-loading", Kind::overloaded,
            "still loading the model", true),
      error("llama-server/llama-server-main/20-err-malformed-json", Kind::server, "parse error",
            true),
      error("llama-server/llama-server-main/21-err-missing-messages", Kind::server,
            "key 'messages' not found", true),
      error("llama-server/llama-server-main/23-err-bad-role-content", Kind::server,
            "Expected 'content'", true),
      error("llama-server/llama-server-main/26-n-2", Kind::server, "Only one completion choice",
            true),
      // A wrong base_url: llama.cpp's 404 names no model, so the fix is the URL.
      error("llama-server/llama-server-main/24-err-unknown-path", Kind::bad_request,
            "check base_url", false),
      error("llama-server/llama-server-main/25-err-get-on-post-endpoint", Kind::bad_request,
            "check base_url", false),
      // Replies from other endpoints (what a misrouted base_url would get): never an answer.
      error("llama-server/llama-server-main/01-health", Kind::protocol, "not a chat completion",
            true),
      error("llama-server/llama-server-loading/02-health-after-load", Kind::protocol,
            "not a chat completion", true),
      error("llama-server/llama-server-main/33-health-during-concurrency", Kind::protocol,
            "not a chat completion", true),
      error("llama-server/llama-server-main/02-props", Kind::protocol, "not a chat completion",
            true),
      error("llama-server/llama-server-main/03-v1-models", Kind::protocol, "not a chat completion",
            true),
      error("llama-server/llama-server-main/03b-models", Kind::protocol, "not a chat completion",
            true),
      error("llama-server/llama-server-main/12-v1-completions", Kind::protocol,
            "not a chat completion", true),
      error("llama-server/llama-server-main/15-tokenize", Kind::protocol, "not a chat completion",
            true),
      error("llama-server/llama-server-main/15b-apply-template", Kind::protocol,
            "not a chat completion", true),
      error("llama-server/llama-server-main/31-slots-during-concurrency", Kind::protocol,
            "not a JSON object", true),
      error("llama-server/llama-server-main/35-slots-after", Kind::protocol, "not a JSON object",
            true),
      error("llama-server/llama-server-main/32-metrics-during-concurrency", Kind::protocol,
            "not a JSON object", true),
      error("llama-server/llama-server-main/34-metrics-after", Kind::protocol, "not a JSON object",
            true),
      // Its headers were recorded, its 150 KB body was not: an empty body is not an answer.
      error("llama-server/llama-server-main/11-chat-no-max-tokens", Kind::protocol,
            "not a JSON object", true),
      // A text-completion stream has choices[0].text, no delta: no chat answer in it.
      error("llama-server/llama-server-main/13-v1-completions-stream", Kind::empty_reply,
            "before writing any answer", false),
      // llama.cpp's native /completion stream has no [DONE]: it never completes as a chat.
      error("llama-server/llama-server-main/14-native-completion-stream", Kind::protocol,
            "ended the reply before it was complete", true),
      // Concurrency runs recorded only headers and timing: an empty 200 stream.
      error("llama-server/llama-server-main/30-concurrent-1", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-2", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-3", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-4", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-5", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-6", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-7", Kind::protocol,
            "before it was complete", true),
      error("llama-server/llama-server-main/30-concurrent-8", Kind::protocol,
            "before it was complete", true),
      // Recorded on 2026-12-01 (RECORDED-2026-12-01.md): llama-server with --no-context-shift
      // and -c 512. The answer reaches the end of the window: streamed, 481 chunks, then an
      // `error:` line and `data: [DONE]`; not streamed, a 500. Never an answer.
      error(N "noshift-c512/10-short-max600-nonstream", Kind::context_overflow,
            "ran into the end of the server's context window", false),
      error(N "noshift-c512/11-short-max600-stream", Kind::context_overflow,
            "ran into the end of the server's context window", false),
      error(N "noshift-c512/24-prompt-511-of-512-nonstream", Kind::context_overflow,
            "context shift is disabled", false),
      error(N "noshift-c512/25-prompt-511-of-512-stream", Kind::context_overflow,
            "context shift is disabled", false),
      error(N "noshift-c512/29-prompt-503-max10-nonstream", Kind::context_overflow,
            "context shift is disabled", false),
      answer(N "noshift-c512/27-prompt-503-max8-nonstream", "", "length", 503, 8),
      answer(N "noshift-c512/28-prompt-503-max9-stream", "", "length", 503, 9),
      // A prompt over the window: a 400, or in a stream an `error:` line with code 400.
      error(N "noshift-c512/20-long-prompt-nonstream", Kind::context_overflow,
            "exceeds the available context size", false),
      error(N "noshift-c512/21-long-prompt-stream", Kind::context_overflow,
            "exceeds the available context size", false),
      error(N "noshift-c512/26-prompt-512-of-512-nonstream", Kind::context_overflow,
            "exceeds the available context size", false),
      // The same prompt, with the server's /props known: refused before it is sent.
      with_props(error(N "noshift-c512/20-long-prompt-nonstream", Kind::context_overflow,
                       "does not fit the 512-token window", false),
                 N "noshift-c512/01-props"),
      error(N "noshift-c512/03-slots", Kind::server, "does not support slots", true),
      // Context shift on, -c 8192 -np 4 (2,048 a slot): a 4,100-token prompt is cut to 1,028
      // with 200 OK. A real llama-server always answers /props, so rlm knows the window and,
      // near it, counts the prompt with /tokenize: it refuses before sending. Without those
      // (no real llama-server lacks them) the counts alone cannot tell a cut of this dense
      // text ("a a a": 2 characters a token) from a full read: what rlm can and cannot see.
      answer(N "c8192-np4/10-prompt-4100-nonstream", "", "length", 1028, 8),
      answer(N "c8192-np4/11-prompt-4100-stream", "", "length", 1028, 8),
      answer(N "c8192-np4/12-prompt-2100-nonstream", "", "length", 1076, 8),
      with_props(error(N "c8192-np4/11-prompt-4100-stream", Kind::context_overflow,
                       "the prompt (about 4,089 tokens) does not fit the 2,048-token window",
                       false),
                 N "c8192-np4/01-props", N "c8192-np4/04-tokenize-as-rlm-asks-4100-prompt"),
      with_props(error(N "c8192-np4/12-prompt-2100-nonstream", Kind::context_overflow,
                       "the prompt (about 2,089 tokens) does not fit the 2,048-token window",
                       false),
                 N "c8192-np4/01-props", N "c8192-np4/05-tokenize-as-rlm-asks-2100-prompt"),
      // With the prompt counted exactly (4,073 tokens), a server that read 1,028 cut it: this
      // pairs the 8,192-token /props of another server with the cut reply, to show the rule.
      with_props(truncated(answer(N "c8192-np4/10-prompt-4100-nonstream", "", "length", 1028, 8)),
                 N "main/02-props", N "c8192-np4/04-tokenize-as-rlm-asks-4100-prompt"),
      error(N "c8192-np4/04-tokenize-as-rlm-asks-4100-prompt", Kind::protocol,
            "not a chat completion", true),
      error(N "c8192-np4/05-tokenize-as-rlm-asks-2100-prompt", Kind::protocol,
            "not a chat completion", true),
      answer(N "c8192-np4/13-prompt-2000-max100-shift-during-generation", "", "length", 2000, 100),
      with_props(error(N "c8192-np4/10-prompt-4100-nonstream", Kind::context_overflow,
                       "does not fit the 2,048-token window", false),
                 N "c8192-np4/01-props"),
      // Context shift on, -c 512: max_tokens 4096 is neither refused nor clamped by the server
      // (it generates all 4,096); rlm clamps what it sends (context_window_test.cpp).
      answer(N "shift-c512/09-short-max600-nonstream", "", "length", 31, 600),
      answer(N "shift-c512/10-short-max4096-nonstream", "", "length", 31, 4096),
      answer(N "shift-c512/11-short-max4096-stream", "", "length", 31, 4096),
      // --api-key: chats, /props, /slots and unknown paths answer 401 without the key (a
      // stream too, as plain JSON); /health and /v1/models stay open.
      error(N "apikey/10-chat-nokey", Kind::auth, "needs an API key (401)", false),
      error(N "apikey/11-chat-wrongkey", Kind::auth, "needs an API key (401)", false),
      error(N "apikey/13-chat-rightkey-no-bearer-prefix", Kind::auth, "needs an API key", false),
      error(N "apikey/14-chat-x-api-key-header", Kind::auth, "needs an API key", false),
      error(N "apikey/15-chat-stream-nokey", Kind::auth, "needs an API key", false),
      error(N "apikey/03-props-nokey", Kind::auth, "needs an API key", false),
      error(N "apikey/03c-slots-nokey", Kind::auth, "needs an API key", false),
      error(N "apikey/18-unknown-path-nokey", Kind::auth, "needs an API key", false),
      answer(N "apikey/12-chat-rightkey", "", "stop"),
      answer(N "apikey/16-chat-stream-rightkey", "", "stop"),
      error(N "apikey/01-health-nokey", Kind::protocol, "not a chat completion", true),
      error(N "apikey/02-v1-models-nokey", Kind::protocol, "not a chat completion", true),
      error(N "apikey/03b-models-nokey", Kind::protocol, "not a chat completion", true),
      error(N "apikey/17-props-rightkey", Kind::protocol, "not a chat completion", true),
      // No --alias: the model field is ignored (and echoed back); every chat is answered.
      answer(N "noalias/10-chat-model-tiny", "", "stop"),
      answer(N "noalias/11-chat-model-nosuch", "", "stop"),
      answer(N "noalias/12-chat-no-model-field", "", "stop"),
      answer(N "noalias/13-chat-stream-model-nosuch", "", "stop"),
      error(N "noalias/01-v1-models", Kind::protocol, "not a chat completion", true),
      error(N "noalias/01b-models", Kind::protocol, "not a chat completion", true),
      error(N "noalias/02-props", Kind::protocol, "not a chat completion", true),
      // Killed (kill -9) mid-reply: streamed, the body stops with no [DONE]; not streamed,
      // no reply at all. Both retryable: the partial text is discarded.
      error(N "killed-c8192-np1/11-stream-server-killed", Kind::protocol, "", true),
      error(N "killed-c8192-np1/12-nonstream-server-killed", Kind::protocol, "broke", true),
      // While the model loads, every path answers 503 "Loading model", with or without a key.
      error(N "loading/02-v1-models-while-loading", Kind::overloaded, "still loading", true),
      error(N "loading/03-models-while-loading", Kind::overloaded, "still loading", true),
      error(N "loading/04-props-while-loading", Kind::overloaded, "still loading", true),
      error(N "loading/05-chat-while-loading", Kind::overloaded, "still loading", true),
      answer(N "loading/14-chat-after-load", "", "length"),
      error(N "loading/10-health-after-load", Kind::protocol, "not a chat completion", true),
      error(N "loading/11-v1-models-after-load", Kind::protocol, "not a chat completion", true),
      error(N "loading/12-models-after-load", Kind::protocol, "not a chat completion", true),
      error(N "loading/13-props-after-load", Kind::protocol, "not a chat completion", true),
      error(N "loading-apikey/01-chat-nokey-while-loading", Kind::overloaded, "still loading",
            true),
      error(N "loading-apikey/02-props-nokey-while-loading", Kind::overloaded, "still loading",
            true),
      error(N "loading-apikey/03-health-while-loading", Kind::overloaded, "still loading", true),
      error(N "loading-apikey/10-chat-nokey-after-load", Kind::auth, "needs an API key", false),
      error(N "loading-apikey/11-props-nokey-after-load", Kind::auth, "needs an API key", false),
      error(N "loading-apikey/12-health-after-load", Kind::protocol, "not a chat completion", true),
      // Empty messages (rlm sends "Say hi" in their place here) and max_tokens 0, which
      // llama-server answers with one token.
      answer(N "misc-c2048-np1/10-empty-messages-nonstream", "", "length", 11),
      answer(N "misc-c2048-np1/11-empty-messages-stream", "", "length", 11),
      answer(N "misc-c2048-np1/13-empty-messages-stream-no-max", "", "length"),
      answer(N "misc-c2048-np1/20-max-tokens-0-nonstream", "", "length", -1, 1),
      answer(N "misc-c2048-np1/21-max-tokens-0-stream", "", "length", -1, 1),
      error(N "misc-c2048-np1/14-apply-template-empty-messages", Kind::protocol,
            "not a chat completion", true),
      error(N "misc-c2048-np1/15-tokenize-empty-messages-prompt", Kind::protocol,
            "not a chat completion", true),
      error(N "misc-c2048-np1/22-n-predict-0-native-completion", Kind::protocol,
            "not a chat completion", true),
      error(N "noshift-c512/01-props", Kind::protocol, "not a chat completion", true),
      error(N "noshift-c512/02-v1-models", Kind::protocol, "not a chat completion", true),
      error(N "noshift-c512/23-tokenize-long-prompt", Kind::protocol, "not a chat completion",
            true),
      error(N "c8192-np4/01-props", Kind::protocol, "not a chat completion", true),
      error(N "c8192-np4/02-v1-models", Kind::protocol, "not a chat completion", true),
      error(N "c8192-np4/03-tokenize-4100-prompt", Kind::protocol, "not a chat completion", true),
      error(N "shift-c512/01-props", Kind::protocol, "not a chat completion", true),
      // Thinking models, constructed from the servers' source and docs (constructed/README.md):
      // the reasoning is kept apart, its tokens counted (estimated by characters where the
      // server does not split its count), and a reply that is all reasoning is a reply.
      thinking(
          answer("constructed/ollama/01-qwen3-thinking-stream", "print(#lines())", "stop", 412, 61),
          "I should not guess", 46),
      thinking(
          answer("constructed/ollama/02-qwen3-thinking-cut-at-num-predict", "", "length", 412, 64),
          "print it with code first.", 64),
      thinking(answer("constructed/ollama/03-qwen3-thinking-nonstream", "print(#lines())", "stop",
                      412, 61),
               "I should not guess", 46),
      // deepseek-r1 writing <think> into the content: the guess inside is reasoning only.
      thinking(answer("constructed/ollama/04-deepseek-r1-think-in-content-stream",
                      "Let me look at the document first.\n```lua\nprint(#context)\n```", "stop",
                      398, 57),
               "FINAL('GUESSED-IN-THINKING')", 35),
      thinking(
          answer("constructed/deepseek/01-thinking-stream", "print(#lines())", "stop", 1280, 71),
          "Count them with code.", 52),
      thinking(answer("constructed/deepseek/02-thinking-cut-at-max-tokens", "", "length", 1280, 16),
               "the number of lines", 16),
      thinking(
          answer("constructed/deepseek/03-thinking-nonstream", "print(#lines())", "stop", 1280, 71),
          "Okay, the user wants", 52),
      thinking(answer("constructed/llama-server/01-reasoning-format-deepseek-nonstream",
                      "print(#lines())", "stop", 35, 24),
               "I need the count", 13),
      thinking(answer("constructed/vllm/01-reasoning-stream", "print(#lines())", "stop", 35, 26),
               "Count with code.", 9),
  };
  return all;
}

// The capture's request sent by the client that speaks its protocol.
std::expected<ChatResponse, ProviderError> chat_with_client_for(const std::string& capture,
                                                                const testing::FakeProvider& server,
                                                                http::Transport& transport) {
  config::ProviderConfig settings;
  settings.model = "tiny";
  settings.max_tokens = 64;
  if (is_ollama(capture)) {
    settings.type = config::ProviderType::ollama;
    settings.base_url = server.base_url();
    settings.context_length = 32768;
    return OllamaProvider(settings, config::HttpSettings{}, transport).chat(request_for(capture));
  }
  settings.type = config::ProviderType::openai;
  settings.base_url = server.base_url() + "/v1";
  OpenAiProvider client(settings, config::HttpSettings{}, transport,
                        [](std::string_view) { return std::optional<std::string>(); });
  return client.chat(request_for(capture));
}

class Capture : public ::testing::TestWithParam<Case> {};

TEST_P(Capture, ReplayedAsAChatReplyGivesWhatRlmPromises) {
  const auto& c = GetParam();
  json script = {{"replies", {{{"replay", c.capture}}}}};
  if (c.props != nullptr) script["routes"] = {{"GET /props", c.props}};
  if (c.tokenize != nullptr) script["routes"]["POST /tokenize"] = c.tokenize;
  // A tokenize capture is no chat reply: as one, it is read as what it is.
  testing::FakeProvider server(script);
  http::CurlTransport transport;
  const auto reply = chat_with_client_for(c.capture, server, transport);
  if (!c.answered) {
    ASSERT_FALSE(reply) << "answered: " << reply->text;
    EXPECT_EQ(reply.error().kind, c.kind) << reply.error().message;
    EXPECT_THAT(reply.error().message, HasSubstr(c.says));
    EXPECT_EQ(reply.error().retryable, c.retryable) << reply.error().message;
    EXPECT_EQ(reply.error().message.find('\n'), std::string::npos) << reply.error().message;
    return;
  }
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_THAT(reply->text, HasSubstr(c.says));
  EXPECT_EQ(reply->finish_reason, c.finish);
  if (c.prompt_tokens >= 0) {
    EXPECT_EQ(reply->usage.prompt_tokens, c.prompt_tokens);
  }
  if (c.completion_tokens >= 0) {
    EXPECT_EQ(reply->usage.completion_tokens, c.completion_tokens);
  }
  EXPECT_EQ(reply->prompt_truncated, c.truncated);
  EXPECT_EQ(reply->text.find("think>"), std::string::npos) << reply->text;
  EXPECT_THAT(reply->thinking, HasSubstr(c.reasoning));
  EXPECT_EQ(reply->usage.reasoning_tokens, c.reasoning_tokens);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.capture;
  if (info.param.props != nullptr) name += "_with_props";
  if (info.param.tokenize != nullptr) name += "_and_tokenize";
  for (auto& ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(LlamaServer, Capture, ::testing::ValuesIn(cases()), case_name);

// How many sub-calls rlm sends a server at once, unless max_concurrency says: what llama.cpp's
// /props says it serves (-np 4 and -np 1 recorded), 16 where nothing says.
std::int64_t concurrency_served(const char* props_capture, config::ProviderType type) {
  json script = {{"replies", json::array()}};
  if (props_capture != nullptr) script["routes"] = {{"GET /props", props_capture}};
  testing::FakeProvider server(script);
  http::CurlTransport transport;
  config::ProviderConfig settings;
  settings.type = type;
  settings.model = "tiny";
  settings.base_url = server.base_url() + "/v1";
  OpenAiProvider client(settings, config::HttpSettings{}, transport,
                        [](std::string_view) { return std::optional<std::string>("sk-x"); });
  return client.concurrency();
}

TEST(Captures, ConcurrencyDefaultsToTheSlotsLlamaServerSays) {
  EXPECT_EQ(concurrency_served(N "c8192-np4/01-props", config::ProviderType::openai), 4);
  EXPECT_EQ(concurrency_served(N "apikey/17-props-rightkey", config::ProviderType::openai), 1);
  // No /props (vLLM, LM Studio, an API): 16. DeepSeek is never asked.
  EXPECT_EQ(concurrency_served(nullptr, config::ProviderType::openai), 16);
  EXPECT_EQ(concurrency_served(N "c8192-np4/01-props", config::ProviderType::deepseek), 16);
}

TEST(Captures, AConfiguredConcurrencyWinsOverTheServers) {
  json script = {{"replies", json::array()}, {"routes", {{"GET /props", N "c8192-np4/01-props"}}}};
  testing::FakeProvider server(script);
  http::CurlTransport transport;
  config::ProviderConfig settings;
  settings.type = config::ProviderType::openai;
  settings.model = "tiny";
  settings.base_url = server.base_url() + "/v1";
  settings.max_concurrency = 2;
  OpenAiProvider client(settings, config::HttpSettings{}, transport,
                        [](std::string_view) { return std::optional<std::string>(); });
  EXPECT_EQ(client.concurrency(), 2);
}

TEST(Captures, EveryCaptureHasACase) {
  std::set<std::string> covered;
  for (const auto& c : cases()) covered.insert(c.capture);
  int found = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(k_captures)) {
    if (entry.path().extension() != ".hdr") continue;
    ++found;
    auto name = std::filesystem::relative(entry.path(), k_captures).replace_extension().string();
    EXPECT_TRUE(covered.contains(name)) << name << " has no case in captures_test.cpp";
  }
  EXPECT_GE(found, static_cast<int>(covered.size()));
}

} // namespace
} // namespace rlm::providers
