// Thinking models: reasoning taken out of the answer in every form servers send it, its
// tokens counted, the completion limit that leaves it room, and how each protocol is asked
// to think.
#include "providers/thinking_request.hpp"
#include "rlm/providers/reasoning.hpp"

#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

using nlohmann::json;

TEST(SplitReasoning, TextWithoutThinkTagsIsAllAnswer) {
  const auto split = split_reasoning("```lua\nprint(1)\n```");
  EXPECT_EQ(split.reasoning, "");
  EXPECT_EQ(split.answer, "```lua\nprint(1)\n```");
}

TEST(SplitReasoning, ALeadingThinkBlockIsReasoningAndTheRestTheAnswer) {
  // As qwen3 and deepseek-r1 write it when the server does not parse it (older Ollama,
  // llama-server --reasoning-format none).
  const auto split = split_reasoning(
      "<think>\nMaybe "
      "```lua\nFINAL('GUESSED-IN-THINKING')\n```\n</think>\n\n```lua\nprint(1)\n```");
  EXPECT_EQ(split.reasoning, "Maybe ```lua\nFINAL('GUESSED-IN-THINKING')\n```");
  EXPECT_EQ(split.answer, "```lua\nprint(1)\n```");
}

TEST(SplitReasoning, AClosingTagWithNoOpeningOneEndsReasoningTheTemplateOpened) {
  // deepseek-r1's chat template ends the prompt with "<think>\n": the reply opens inside it.
  const auto split = split_reasoning("First I look.\n</think>\nFINAL(42)");
  EXPECT_EQ(split.reasoning, "First I look.");
  EXPECT_EQ(split.answer, "FINAL(42)");
}

TEST(SplitReasoning, AThinkBlockLeftOpenMakesTheRestReasoning) {
  // A reply cut at max_tokens while still thinking.
  const auto split = split_reasoning("<think>\nLet me count the lines, then ```lua\nprint(");
  EXPECT_EQ(split.reasoning, "Let me count the lines, then ```lua\nprint(");
  EXPECT_EQ(split.answer, "");
}

TEST(SplitReasoning, EveryBlockIsTakenOutWhereverItIs) {
  const auto split = split_reasoning("A <think>one</think> B <think>two</think> C");
  EXPECT_EQ(split.reasoning, "one\n\ntwo");
  EXPECT_EQ(split.answer, "A  B  C");
}

TEST(SplitReasoning, AnEmptyBlockLeavesNoReasoning) {
  // qwen3 with thinking turned off still writes an empty block.
  const auto split = split_reasoning("<think>\n\n</think>\n\nFINAL(7)");
  EXPECT_EQ(split.reasoning, "");
  EXPECT_EQ(split.answer, "FINAL(7)");
}

ChatResponse response(std::string text, std::string thinking, std::int64_t completion) {
  ChatResponse r;
  r.text = std::move(text);
  r.thinking = std::move(thinking);
  r.usage.completion_tokens = completion;
  return r;
}

TEST(SeparateReasoning, InlineReasoningFollowsWhatTheServerSentApart) {
  auto r = response("<think>second</think>answer", "first", 10);
  separate_reasoning(r);
  EXPECT_EQ(r.text, "answer");
  EXPECT_EQ(r.thinking, "first\n\nsecond");
}

TEST(SeparateReasoning, UncountedReasoningTokensAreEstimatedFromItsShareOfTheCharacters) {
  // Ollama's eval_count counts thinking and answer together: 300 of 400 characters.
  auto r = response(std::string(100, 'a'), std::string(300, 't'), 80);
  separate_reasoning(r);
  EXPECT_EQ(r.usage.reasoning_tokens, 60);
  EXPECT_TRUE(r.usage.reasoning_estimated);
}

TEST(SeparateReasoning, TheServersOwnCountIsKeptAndASecondCallChangesNothing) {
  auto r = response("<think>x</think>4", "", 50);
  r.usage.reasoning_tokens = 42; // DeepSeek's completion_tokens_details.reasoning_tokens
  separate_reasoning(r);
  const auto once = r;
  separate_reasoning(r);
  EXPECT_EQ(r.usage.reasoning_tokens, 42);
  EXPECT_FALSE(r.usage.reasoning_estimated);
  EXPECT_EQ(r.text, once.text);
  EXPECT_EQ(r.thinking, "x");
}

TEST(SeparateReasoning, AReplyCutWhileThinkingIsReasoningOnly) {
  auto r = response("<think>Let me see", "", 8);
  separate_reasoning(r);
  EXPECT_TRUE(reasoning_only(r));
  EXPECT_EQ(r.usage.reasoning_tokens, 8);
  EXPECT_FALSE(reasoning_only(response("4", "thought", 2)));
  EXPECT_FALSE(reasoning_only(response("", "", 0)));
}

config::ProviderConfig provider(std::optional<config::Think> think, std::int64_t max_tokens) {
  config::ProviderConfig p;
  p.think = think;
  p.max_tokens = max_tokens;
  return p;
}

TEST(CompletionLimit, AModelThatThinksGetsRoomForItsReasoning) {
  const ChatRequest plain;
  EXPECT_EQ(completion_limit(provider(config::Think::on, 1024), plain, false), 8192);
  EXPECT_EQ(completion_limit(provider(config::Think::high, 1024), plain, false), 8192);
  EXPECT_EQ(completion_limit(provider(config::Think::on, 20000), plain, false), 20000);
  // Unset: raised once a reply has shown the model reasons.
  EXPECT_EQ(completion_limit(provider(std::nullopt, 1024), plain, false), 1024);
  EXPECT_EQ(completion_limit(provider(std::nullopt, 1024), plain, true), 8192);
}

TEST(CompletionLimit, ThinkFalseAndARequestsOwnLimitAreKept) {
  EXPECT_EQ(completion_limit(provider(config::Think::off, 1024), ChatRequest{}, true), 1024);
  ChatRequest one_token; // rlm doctor's probe
  one_token.max_tokens = 1;
  EXPECT_EQ(completion_limit(provider(config::Think::on, 1024), one_token, true), 1);
}

TEST(ThinkRequest, OllamaTakesABooleanOrALevelAndNothingWhenUnset) {
  json body = json::object();
  add_ollama_think(body, provider(std::nullopt, 1));
  EXPECT_FALSE(body.contains("think"));
  add_ollama_think(body, provider(config::Think::off, 1));
  EXPECT_EQ(body["think"], false);
  add_ollama_think(body, provider(config::Think::medium, 1));
  EXPECT_EQ(body["think"], "medium");
}

TEST(ThinkRequest, DeepSeekTakesThinkingTypeAndAnEffort) {
  auto p = provider(config::Think::max, 1);
  p.type = config::ProviderType::deepseek;
  json body = json::object();
  add_openai_think(body, p);
  EXPECT_EQ(body, json::parse(R"({"thinking":{"type":"enabled"},"reasoning_effort":"max"})"));
  p.think = config::Think::off;
  body = json::object();
  add_openai_think(body, p);
  EXPECT_EQ(body, json::parse(R"({"thinking":{"type":"disabled"}})"));
}

TEST(ThinkRequest, OtherOpenAiServersTakeTheChatTemplateSwitch) {
  auto p = provider(config::Think::on, 1);
  p.type = config::ProviderType::openai;
  json body = json::object();
  add_openai_think(body, p);
  EXPECT_EQ(body, json::parse(R"({"chat_template_kwargs":{"enable_thinking":true}})"));
  p.think = std::nullopt;
  body = json::object();
  add_openai_think(body, p);
  EXPECT_EQ(body, json::object());
}

} // namespace
} // namespace rlm::providers
