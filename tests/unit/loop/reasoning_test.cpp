// Thinking models in the loop, in process: code drafted while thinking never runs, reasoning
// never goes back in the history or to Lua, it is recorded per turn, and a reply that spent
// itself thinking is nudged.
#include "scripted_loop.hpp"

#include "loop/reasoning.hpp"
#include "rlm/loop/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScriptedLoop;

const std::string k_footer_1 = "\n[turn 1 of 20 done; sub-calls left: 50 of 50]";

// The reply that was tried: a guess in a ```lua fence inside <think>, the real block after.
const std::string k_guess_then_look =
    "<think>\nProbably the title. ```lua\nFINAL('GUESSED-IN-THINKING')\n```\nNo: look first.\n"
    "</think>\n\nLet me look.\n```lua\nprint(#context)\n```";

TEST(ThinkingLoop, TheBlockWrittenInsideThinkNeverRunsTheOneAfterItDoes) {
  ScriptedLoop f;
  f.reply(k_guess_then_look).lua("FINAL(#context)");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "5015");
  ASSERT_EQ(f.recorder.iterations.size(), 2U);
  const auto& first = f.recorder.iterations[0];
  ASSERT_EQ(first.cells.size(), 1U);
  EXPECT_EQ(first.cells[0].code, "print(#context)\n");
  EXPECT_TRUE(first.notes.empty()); // no early FINAL to turn back: the guess never ran
  EXPECT_EQ(f.last_message_of_request(2), "Output:\n5015\n" + k_footer_1);
}

TEST(ThinkingLoop, ReasoningIsRecordedButNeverSentBackInTheHistory) {
  ScriptedLoop f;
  f.reply(k_guess_then_look);
  f.root->script.push_back({.text = "```lua\nFINAL(#context)\n```",
                            .thinking = "DeepSeek-style reasoning, sent apart."});
  f.run();
  const auto& history = f.root->requests.at(1);
  ASSERT_EQ(history.size(), 4U);
  EXPECT_EQ(history[2].role, "assistant");
  EXPECT_EQ(history[2].content, "Let me look.\n```lua\nprint(#context)\n```");
  EXPECT_EQ(f.recorder.iterations[0].reply, history[2].content);
  EXPECT_THAT(f.recorder.iterations[0].reasoning, HasSubstr("GUESSED-IN-THINKING"));
  EXPECT_EQ(f.recorder.iterations[1].reasoning, "DeepSeek-style reasoning, sent apart.");
}

TEST(ThinkingLoop, AReplyThatWasAllReasoningIsNudgedNotToldItHadNoCode) {
  ScriptedLoop f;
  f.root->script.push_back({.text = "",
                            .finish_reason = "length",
                            .max_tokens = 8192,
                            .thinking = "Let me think about every line of the document..."});
  f.lua("FINAL(#context)");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "5015");
  EXPECT_EQ(f.last_message_of_request(2),
            "\nYour reply was all reasoning and stopped at the 8,192-token limit before any code "
            "or answer. Think less: write the ```lua block now (one short step), or "
            "FINAL(answer) if you already know it.\n" +
                k_footer_1);
}

TEST(ThinkingLoop, AThinkBlockCutOffInTheTextIsNudgedTheSameWay) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 1;
  f.root->script.push_back(
      {.text = "<think>\nI could run ```lua\nprint(#context)", .finish_reason = "length"});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::errors);
  EXPECT_THAT(result.message, HasSubstr("a reply that was all reasoning (stopped at the "
                                        "4,096-token limit)"));
  EXPECT_TRUE(f.recorder.iterations[0].cells.empty());
}

TEST(ThinkingLoop, ASubModelsReasoningNeverReachesLua) {
  ScriptedLoop f;
  f.sub->script.push_back({.text = "<think>it is 42, I think</think>\nforty-two"});
  f.sub->script.push_back({.text = "two", .thinking = "sent apart"});
  f.lua("FINAL(llm_query('a' .. context:sub(-3, -2)) .. '|' .. llm_query('b'))");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "forty-two|two");
  ASSERT_EQ(f.recorder.iterations[0].sub_calls.size(), 2U);
  EXPECT_EQ(f.recorder.iterations[0].sub_calls[0].reasoning_chars, 17U);
}

TEST(ThinkingLoop, ASubCallThatWasAllReasoningGetsAnErrorInItsSlot) {
  ScriptedLoop f;
  f.sub->script.push_back({.text = "",
                           .finish_reason = "length",
                           .max_tokens = 512,
                           .thinking = std::string(2000, 't')});
  f.lua("local ok, err = pcall(llm_query, 'q' .. context:sub(1, 1))\nprint(err)");
  f.lua("FINAL('done')");
  f.run();
  EXPECT_THAT(f.last_message_of_request(2),
              HasSubstr("the sub model reasoned (2,000 characters) and stopped at the 512-token "
                        "limit without writing an answer; ask a smaller question, or raise "
                        "max_tokens for the sub provider"));
}

TEST(ThinkingLoop, ABypassAnswerThatWasAllReasoningIsNoAnswer) {
  ScriptedLoop f("tiny doc");
  f.settings.bypass_threshold = 100;
  f.root->script.push_back({.text = "<think>\nhmm", .finish_reason = "length"});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::provider);
  EXPECT_FALSE(result.answer);
  EXPECT_THAT(result.message, HasSubstr("the root model reasoned (3 characters)"));
}

TEST(ThinkingLoop, ReasoningTokensAreCountedPerTurnAndInTheTotals) {
  ScriptedLoop f;
  f.root->script.push_back(
      {.text = "```lua\nFINAL(#context)\n```", .thinking = "thought", .usage = {100, 0, 50, 30}});
  f.run();
  EXPECT_EQ(f.recorder.iterations[0].usage.reasoning_tokens, 30);
  EXPECT_EQ(f.pool->usage().root.reasoning_tokens, 30);
  const auto line = to_json(f.recorder.iterations[0]);
  EXPECT_EQ(line["usage"]["reasoning_tokens"], 30);
  EXPECT_EQ(line["reasoning"], "thought");
  EXPECT_EQ(line["reasoning_chars"], 7);
}

TEST(ThinkingLoop, ATurnWithoutReasoningRecordsNoReasoningFields) {
  IterationRecord record;
  const auto line = to_json(record);
  EXPECT_FALSE(line.contains("reasoning"));
  EXPECT_EQ(line["usage"]["reasoning_tokens"], 0);
  EXPECT_FALSE(line["usage"].contains("reasoning_tokens_estimated"));
}

TEST(ThinkingLoop, LongReasoningIsRecordedUpTo64KbWithAMarker) {
  const auto kept = recorded_reasoning(std::string(k_recorded_reasoning_bytes + 1234, 'r'));
  EXPECT_EQ(kept, std::string(k_recorded_reasoning_bytes, 'r') +
                      "\n[reasoning cut: 1,234 more bytes not recorded]");
  EXPECT_EQ(recorded_reasoning("short"), "short");
}

} // namespace
} // namespace rlm::loop
