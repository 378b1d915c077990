// Reading root models' replies: what runs, what counts as an answer, and what does not.
#include "rlm/loop/briefing.hpp"
#include "rlm/loop/prompts.hpp"
#include "rlm/loop/reply.hpp"

#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

TEST(Reply, TakesLuaReplAndUnlabelledBlocksInOrder) {
  const auto r = parse_reply("First:\n```lua\nprint(1)\n```\nthen\n```repl\nprint(2)\n```\n"
                             "and\n```\nprint(3)\n```\n");
  ASSERT_EQ(r.code.size(), 3U);
  EXPECT_EQ(r.code[0], "print(1)\n");
  EXPECT_EQ(r.code[2], "print(3)\n");
  EXPECT_TRUE(r.other_language.empty());
  EXPECT_FALSE(r.final_text);
}

TEST(Reply, OtherLanguagesAreReportedNotRun) {
  const auto r = parse_reply("```python\nprint(len(context))\n```\n```Lua\nprint(#context)\n```");
  ASSERT_EQ(r.code.size(), 1U);
  EXPECT_EQ(r.code[0], "print(#context)\n");
  EXPECT_EQ(r.other_language, std::vector<std::string>{"python"});
}

TEST(Reply, AFenceLeftOpenAtTheEndStillRuns) {
  const auto r = parse_reply("```lua\nx = 1\nprint(x)");
  ASSERT_EQ(r.code.size(), 1U);
  EXPECT_EQ(r.code[0], "x = 1\nprint(x)\n");
}

TEST(Reply, LongerFencesMayHoldShorterOnes) {
  const auto r = parse_reply("````lua\ns = [[\n```\n]]\n````\n");
  ASSERT_EQ(r.code.size(), 1U);
  EXPECT_EQ(r.code[0], "s = [[\n```\n]]\n");
}

TEST(Reply, FinalOnItsOwnLineOutsideCodeIsAnAnswer) {
  EXPECT_EQ(parse_reply("Found it.\nFINAL(42)").final_text, "42");
  EXPECT_EQ(parse_reply("FINAL(\"db-02 failed first\")").final_text, "db-02 failed first");
  EXPECT_EQ(parse_reply("**FINAL(yes)**").final_text, "yes");
  EXPECT_EQ(parse_reply("FINAL_VAR(result)").final_var, "result");
  EXPECT_EQ(parse_reply("FINAL_VAR(\"result\")").final_var, "result");
}

TEST(Reply, FinalInsideProseOrCodeIsNotATextAnswer) {
  EXPECT_FALSE(parse_reply("I will then call FINAL(x) with the count.").final_text);
  EXPECT_FALSE(parse_reply("```lua\nFINAL(1)\n```").final_text); // the REPL runs that one
  EXPECT_FALSE(parse_reply("FINAL(unclosed").final_text);
}

// What a thinking model wrote in one real run: a guess drafted inside <think>, the real
// block after </think>. Only the real one may run.
const std::string k_guess_then_code =
    "<think>\nThe answer is probably in the title. Something like:\n```lua\n"
    "FINAL('GUESSED-IN-THINKING')\n```\nBut I should look first.\n</think>\n\n"
    "Let me look.\n```lua\nprint(context:sub(1, 200))\n```\n";

TEST(Reply, CodeInsideThinkingIsNeverRunOnlyTheBlockAfterIt) {
  const auto r = parse_reply(k_guess_then_code);
  ASSERT_EQ(r.code.size(), 1U);
  EXPECT_EQ(r.code[0], "print(context:sub(1, 200))\n");
  EXPECT_FALSE(r.final_text);
}

TEST(Reply, AFinalLineInsideThinkingIsNotAnAnswer) {
  EXPECT_FALSE(parse_reply("<think>\nFINAL(42)\n</think>\nI need to check.").final_text);
  EXPECT_EQ(parse_reply("<think>\nFINAL(41)\n</think>\nFINAL(42)").final_text, "42");
}

TEST(Reply, AReplyCutWhileThinkingHasNothingToRun) {
  // The think block never closed: an open fence in it is reasoning, not a cut-off cell.
  const auto r = parse_reply("<think>\nI could run\n```lua\nprint(#context)");
  EXPECT_TRUE(r.code.empty());
  EXPECT_FALSE(r.final_text);
}

TEST(Reply, PythonIsRecognisedForAHint) {
  EXPECT_TRUE(wrong_language_hint("import re\nprint(len(context))"));
  EXPECT_TRUE(wrong_language_hint("for i in range(10):\n  pass"));
  EXPECT_FALSE(wrong_language_hint("for i = 1, 10 do print(i) end"));
}

TEST(Prompts, FillReplacesKnownNamesAndKeepsOthers) {
  EXPECT_EQ(fill("{{a}} and {{b}} and {{a}}", {{"a", "1"}}), "1 and {{b}} and 1");
  EXPECT_EQ(fill("no names", {}), "no names");
  EXPECT_EQ(fill("{{open", {{"open", "x"}}), "{{open");
}

TEST(Prompts, BuiltInPromptsAreEmbeddedAndNameTheBudgets) {
  const auto p = load_prompts("").value();
  EXPECT_NE(p.system.find("{{max_iterations}}"), std::string::npos);
  EXPECT_NE(p.system.find("FINAL("), std::string::npos);
  EXPECT_NE(p.system.find("llm_query_batched"), std::string::npos);
  EXPECT_FALSE(p.bypass.empty());
  EXPECT_FALSE(p.final.empty());
  EXPECT_FALSE(p.nested.empty());
}

TEST(Briefing, StatesTheBudgetsTheUserSetBesideTurnsAndSubCalls) {
  document::DocumentSet docs;
  ASSERT_TRUE(docs.add_text("a.txt", "alpha"));
  const auto text = briefing(docs, "Q?",
                             {.max_iterations = 7,
                              .sub_calls = 9,
                              .output_chars = 20000,
                              .sub_prompt_chars = 8'000,
                              .root_window_tokens = std::nullopt,
                              .budgets = "1,500 tokens, 60 seconds"});
  EXPECT_NE(text.find("Budget: 7 turns, 9 sub-calls, 1,500 tokens, 60 seconds. Limits:"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("each llm_query prompt at most 8,000 characters"), std::string::npos);
}

TEST(Briefing, SaysTheSizeAndFilesButNeverHoldsTheWholeDocument) {
  document::DocumentSet docs;
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "line " + std::to_string(i) + " SECRET-MIDDLE-" + "\n";
  big.replace(big.size() / 2, 6, "NEEDLE");
  ASSERT_TRUE(docs.add_text("big.txt", big));
  ASSERT_TRUE(docs.add_text("small.txt", "tiny"));
  const auto text = briefing(docs, "Where is it?",
                             {.max_iterations = 7,
                              .sub_calls = 9,
                              .output_chars = 20000,
                              .sub_prompt_chars = std::nullopt,
                              .root_window_tokens = std::nullopt,
                              .budgets = ""});
  EXPECT_NE(text.find("It joins 2 files"), std::string::npos);
  EXPECT_NE(text.find("1. big.txt:"), std::string::npos);
  EXPECT_NE(text.find("Budget: 7 turns, 9 sub-calls. Limits: printed output 20,000 characters a "
                      "turn; each llm_query prompt up to about 100,000 characters."),
            std::string::npos);
  EXPECT_NE(text.find("Question: Where is it?"), std::string::npos);
  EXPECT_EQ(text.find("NEEDLE"), std::string::npos);
  EXPECT_LT(text.size(), 3000U);
}

TEST(Briefing, CutsNeverSplitACharacter) {
  EXPECT_EQ(utf8_prefix("aé", 2), "a");
  EXPECT_EQ(utf8_suffix("éa", 2), "a");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
  EXPECT_EQ(with_commas(12), "12");
}

} // namespace
} // namespace rlm::loop

namespace rlm::loop {

namespace {

// The reply as streamed so far, and where the detector cuts it.
std::string cut(std::string_view text) {
  const auto at = code_closed_at(text);
  return at ? std::string(text.substr(0, *at)) : std::string("(waits)");
}

TEST(CodeClosedAt, CutsJustPastTheClosingFenceLine) {
  EXPECT_EQ(cut("Let me look.\n```lua\nprint(1)\n```\nThis prints"),
            "Let me look.\n```lua\nprint(1)\n```\n");
}

TEST(CodeClosedAt, TildeFencesAndUnlabelledBlocksCount) {
  EXPECT_EQ(cut("~~~\nprint(1)\n~~~\nand"), "~~~\nprint(1)\n~~~\n");
  EXPECT_EQ(cut("```repl\nx = 1\n````\ntail"), "```repl\nx = 1\n````\n");
}

TEST(CodeClosedAt, WaitsForTheClosingLinesNewline) {
  EXPECT_EQ(cut("```lua\nprint(1)\n```"), "(waits)");
  EXPECT_EQ(cut("```lua\nprint(1)\n"), "(waits)");
}

TEST(CodeClosedAt, WaitsWhenASecondFenceHasStarted) {
  EXPECT_EQ(cut("```lua\na()\n```\nthen\n```lua\nb()"), "(waits)");
  EXPECT_EQ(cut("```lua\na()\n```\n``"), "(waits)");
}

TEST(CodeClosedAt, SkipsEmptyAndOtherLanguageBlocks) {
  EXPECT_EQ(cut("```lua\n  \n```\nmore"), "(waits)");
  EXPECT_EQ(cut("```python\nprint(1)\n```\nmore"), "(waits)");
  // A Python block first, then a Lua one: the Lua block is the one that runs.
  EXPECT_EQ(cut("```python\nx\n```\n```lua\ny()\n```\nz"), "```python\nx\n```\n```lua\ny()\n```\n");
}

TEST(CodeClosedAt, ATildeLineDoesNotCloseABacktickBlock) {
  EXPECT_EQ(cut("```lua\nprint(1)\n~~~\nmore"), "(waits)");
}

TEST(CodeClosedAt, WaitsWhileThinkingIsOpen) {
  EXPECT_EQ(cut("<think>\n```lua\nprint(1)\n```\nhmm"), "(waits)");
  EXPECT_EQ(cut("<think>draft</think>\n```lua\nprint(1)\n```\nok"),
            "<think>draft</think>\n```lua\nprint(1)\n```\n");
}

TEST(CodeClosedAt, NothingToCutInPlainText) {
  EXPECT_EQ(cut("FINAL(42)\n"), "(waits)");
  EXPECT_EQ(cut(""), "(waits)");
}

} // namespace
} // namespace rlm::loop
