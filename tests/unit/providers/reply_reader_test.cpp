// The two protocol readers on their own: recorded replies fed in pieces of every size give
// the same result as fed whole, and each way a server ends a reply ends in one state.
#include "providers/ollama_reply.hpp"
#include "providers/openai_reply.hpp"
#include "providers/streaming.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlm::providers {
namespace {

const std::filesystem::path k_captures = RLM_SOURCE_DIR "/tests/captures/llama-server";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Feeds `body` to a fresh reader in pieces of `piece` bytes, as a connection would.
template <class Reader> ReplyState stream(std::string_view body, std::size_t piece) {
  Reader reader;
  LineSplitter lines;
  bool go_on = true;
  for (std::size_t at = 0; go_on && at < body.size(); at += piece) {
    go_on = lines.feed(body.substr(at, piece), [&](std::string_view l) { return reader.line(l); });
  }
  if (go_on && (lines.rest().empty() || reader.line(lines.rest()))) reader.end();
  return reader.state();
}

template <class Reader> ReplyState whole(std::string_view body) {
  Reader reader;
  reader.body(body);
  return reader.state();
}

bool same(const ReplyState& a, const ReplyState& b) {
  return a.answer.text == b.answer.text && a.answer.thinking == b.answer.thinking &&
         a.answer.finish_reason == b.answer.finish_reason &&
         a.answer.usage.prompt_tokens == b.answer.usage.prompt_tokens &&
         a.answer.usage.completion_tokens == b.answer.usage.completion_tokens &&
         a.complete == b.complete && a.error.has_value() == b.error.has_value() &&
         a.malformed.empty() == b.malformed.empty();
}

TEST(SseReader, EveryRecordedStreamReadsTheSameInPiecesOfAnySize) {
  int streams = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(k_captures)) {
    if (entry.path().extension() != ".body") continue;
    auto header = entry.path();
    header.replace_extension(".hdr");
    if (read_file(header).find("text/event-stream") == std::string::npos) continue;
    const auto body = read_file(entry.path());
    const auto all_at_once = stream<OpenAiReplyReader>(body, body.size() + 1);
    for (const std::size_t piece : {1U, 2U, 7U, 64U, 1000U})
      EXPECT_TRUE(same(all_at_once, stream<OpenAiReplyReader>(body, piece)))
          << entry.path() << " in pieces of " << piece;
    ++streams;
  }
  EXPECT_GE(streams, 5);
}

TEST(SseReader, AnErrorLineAfterTokensIsAnErrorWithItsCode) {
  // llama-server with --no-context-shift, when the answer reaches the end of the window.
  const auto state =
      stream<OpenAiReplyReader>("data: {\"choices\":[{\"delta\":{\"content\":\"wi\"}}]}\n\n"
                                "error: {\"code\":500,\"message\":\"context shift is "
                                "disabled\",\"type\":\"server_error\"}\n\n"
                                "data: [DONE]\n\n",
                                5);
  ASSERT_TRUE(state.error);
  EXPECT_EQ(state.error->code, 500);
  EXPECT_EQ(state.error->message, "context shift is disabled");
  EXPECT_FALSE(state.complete); // [DONE] after the error does not make it an answer
}

TEST(SseReader, AnErrorEventAndADataErrorAreErrors) {
  const auto event =
      stream<OpenAiReplyReader>("event: error\ndata: {\"message\":\"overloaded\"}\n\n", 3);
  ASSERT_TRUE(event.error);
  EXPECT_EQ(event.error->message, "overloaded");
  const auto data = stream<OpenAiReplyReader>(
      "data: {\"error\":{\"message\":\"upstream died\",\"code\":502}}\n\ndata: [DONE]\n\n", 4);
  ASSERT_TRUE(data.error);
  EXPECT_EQ(data.error->code, 502);
}

TEST(SseReader, AJsonBodyAnsweringAStreamRequestIsReadAsABody) {
  // HTTP 200 with an error object instead of events, and a whole completion instead of events.
  const auto error =
      stream<OpenAiReplyReader>("{\"error\":{\"message\":\"quota\",\"code\":429}}", 6);
  ASSERT_TRUE(error.error);
  EXPECT_EQ(error.error->code, 429);
  const auto completion = stream<OpenAiReplyReader>(
      "{\"choices\":[{\"message\":{\"content\":\"Four.\"},\"finish_reason\":\"stop\"}]}", 6);
  EXPECT_TRUE(completion.complete);
  EXPECT_EQ(completion.answer.text, "Four.");
}

TEST(SseReader, KeepAlivesAndBlankLinesAreSkippedAndAnHtmlPageIsNotAStream) {
  const auto kept = stream<OpenAiReplyReader>(
      ": keep-alive\n\n\r\n: keep-alive\ndata: {\"choices\":[{\"delta\":{\"content\":\"ok\"},"
      "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
      3);
  EXPECT_TRUE(kept.complete);
  EXPECT_EQ(kept.answer.text, "ok");
  const auto html = stream<OpenAiReplyReader>("<html>\n<body>Bad gateway</body>\n", 100);
  EXPECT_FALSE(html.malformed.empty());
  EXPECT_FALSE(html.complete);
}

TEST(SseReader, DeepSeekReasoningIsKeptApartFromTheAnswer) {
  const auto state = stream<OpenAiReplyReader>(
      "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"Let me think.\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"4\"},\"finish_reason\":\"stop\"}],"
      "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"prompt_cache_hit_tokens\":8}}\n\n"
      "data: [DONE]\n\n",
      9);
  EXPECT_EQ(state.answer.thinking, "Let me think.");
  EXPECT_EQ(state.answer.text, "4");
  EXPECT_EQ(state.answer.usage.cached_tokens, 8);
}

TEST(SseReader, ReasoningTokensAreReadFromTheCompletionDetails) {
  // DeepSeek's thinking mode (and OpenAI's, vLLM's) count reasoning within completion_tokens.
  const auto state = whole<OpenAiReplyReader>(
      "{\"choices\":[{\"message\":{\"content\":\"4\",\"reasoning_content\":\"2+2\"},"
      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":"
      "25,\"completion_tokens_details\":{\"reasoning_tokens\":21}}}");
  EXPECT_EQ(state.answer.thinking, "2+2");
  EXPECT_EQ(state.answer.usage.completion_tokens, 25);
  EXPECT_EQ(state.answer.usage.reasoning_tokens, 21);
}

TEST(SseReader, ANullErrorFieldIsNoErrorAndNothingAfterDoneCounts) {
  // Serializers that write every field send "error": null on good replies.
  const auto state = stream<OpenAiReplyReader>(
      "data: {\"choices\":[{\"delta\":{\"content\":\"74\"},\"finish_reason\":\"stop\"}],"
      "\"error\":null}\n\ndata: [DONE] \n\ndata: "
      "{\"choices\":[{\"delta\":{\"content\":\"21\"}}]}\n\n",
      5);
  EXPECT_FALSE(state.error);
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(state.answer.text, "74");
}

TEST(SseReader, AVllmErrorObjectIsAnErrorWithItsMessage) {
  const auto state = stream<OpenAiReplyReader>(
      "data: {\"object\":\"error\",\"message\":\"boom\",\"code\":400}\n\n", 7);
  ASSERT_TRUE(state.error);
  EXPECT_EQ(state.error->message, "boom");
  EXPECT_EQ(state.error->code, 400);
}

TEST(SseReader, AStreamCutOffBeforeDoneIsNotComplete) {
  // llama-server killed during a reply: the body simply stops.
  const auto state = stream<OpenAiReplyReader>(
      "data: {\"choices\":[{\"delta\":{\"content\":\"isting\"}}]}\n\n", 8);
  EXPECT_FALSE(state.complete);
  EXPECT_FALSE(state.error);
  EXPECT_EQ(state.answer.text, "isting");
}

TEST(NdjsonReader, AnErrorLineInA200StreamIsAnError) {
  const auto state = stream<OllamaReplyReader>(
      "{\"message\":{\"content\":\"Hel\"},\"done\":false}\n"
      "{\"error\":\"an error was encountered while running the model: CUDA error\"}\n",
      4);
  ASSERT_TRUE(state.error);
  EXPECT_NE(state.error->message.find("CUDA error"), std::string::npos);
}

TEST(NdjsonReader, ANullErrorFieldIsNoError) {
  const auto state = stream<OllamaReplyReader>(
      "{\"message\":{\"content\":\"7421\"},\"done\":false,\"error\":null}\n{\"done\":true}\n", 9);
  EXPECT_FALSE(state.error);
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(state.answer.text, "7421");
}

TEST(NdjsonReader, AStreamWithoutItsDoneLineIsNotComplete) {
  // Ollama's repeat guard, or a runner that ends its output without a stop event.
  const auto state =
      stream<OllamaReplyReader>("{\"message\":{\"content\":\"aaaa\"},\"done\":false}\n", 3);
  EXPECT_FALSE(state.complete);
  const auto not_done =
      whole<OllamaReplyReader>("{\"message\":{\"content\":\"a\"},\"done\":false}");
  EXPECT_FALSE(not_done.complete);
}

TEST(NdjsonReader, ThinkingIsKeptApartAndTheDoneLineCarriesUsageAndText) {
  const auto state = stream<OllamaReplyReader>(
      "{\"message\":{\"content\":\"\",\"thinking\":\"Hmm.\"},\"done\":false}\n"
      "{\"message\":{\"content\":\"Yes\"},\"done\":true,\"done_reason\":\"stop\","
      "\"prompt_eval_count\":26,\"eval_count\":3}\n",
      7);
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(state.answer.thinking, "Hmm.");
  EXPECT_EQ(state.answer.text, "Yes");
  EXPECT_EQ(state.answer.usage.prompt_tokens, 26);
}

TEST(NdjsonReader, WrongTypesReadAsAbsentAndHugeCountsAreClamped) {
  const auto state = whole<OllamaReplyReader>(
      "{\"message\":{\"content\":1},\"done\":true,\"prompt_eval_count\":1e300,\"eval_count\":-5}");
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(state.answer.text, "");
  EXPECT_EQ(state.answer.usage.prompt_tokens, std::int64_t{1} << 53);
  EXPECT_EQ(state.answer.usage.completion_tokens, 0);
}

TEST(NdjsonReader, TextNestedPastTheDepthLimitIsMalformed) {
  std::string deep = "{\"error\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  const auto state = stream<OllamaReplyReader>(deep + "\n", 4096);
  EXPECT_FALSE(state.malformed.empty());
}

} // namespace
} // namespace rlm::providers
