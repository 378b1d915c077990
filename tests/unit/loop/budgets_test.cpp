// The budgets a user sets (max_cost, max_seconds, max_tokens): each ends a run with the last
// call for the best answer, the model reads what is left each turn, and nested runs draw on
// the same budgets. The scripted models use 110 tokens a call (100 prompt, 10 completion).
#include "scripted_loop.hpp"

#include "loop/budgets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace rlm::loop {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::ScriptedLoop;

TEST(Budgets, MaxTokensEndsTheRunWithTheFinalCallAfterTheTurnsOutput) {
  ScriptedLoop f;
  f.settings.budgets.max_tokens = 200;
  f.lua("print(1)").lua("print(2)").reply("the needle is 42");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::max_tokens);
  EXPECT_EQ(result.answer, "the needle is 42");
  EXPECT_EQ(result.iterations, 2);
  ASSERT_EQ(f.root->requests.size(), 3U);
  const auto& last = f.root->requests[2];
  ASSERT_EQ(last.size(), 7U); // system, briefing, 2 turns, the final request
  EXPECT_EQ(last[5].content,
            "Output:\n2\n\n[turn 2 of 20 done; sub-calls left: 50 of 50; tokens left: 0 of 200]");
  EXPECT_EQ(last[6].content, budget_final_prompt(StopReason::max_tokens));
  EXPECT_EQ(result.message,
            "max_tokens (200) ran out: 330 used; the answer is the model's best effort from "
            "what it found (raise it with --max-tokens, or max_tokens in the config)");
  ASSERT_EQ(result.budgets.size(), 1U);
  EXPECT_EQ(result.budgets[0].budget, StopReason::max_tokens);
  EXPECT_EQ(result.budgets[0].limit, 200);
  EXPECT_EQ(result.budgets[0].used, 330); // the final call is counted too
  ASSERT_EQ(f.recorder.iterations.size(), 3U);
  EXPECT_EQ(f.recorder.iterations[2].notes,
            std::vector<std::string>{"final answer requested: max_tokens (200) spent"});
}

TEST(Budgets, TheFooterSaysWhatIsLeftOfTheBudgetsThatAreSet) {
  ScriptedLoop f;
  f.settings.budgets.max_tokens = 1000;
  f.settings.budgets.max_cost = 0.5;
  f.root->set_prices(1000, 1000); // 0.11 a call
  f.lua("print(1)").lua("FINAL(#context)");
  f.run();
  EXPECT_THAT(f.last_message_of_request(2),
              EndsWith("[turn 1 of 20 done; sub-calls left: 50 of 50; cost left: 0.3900 of "
                       "0.5000; tokens left: 890 of 1,000]"));
}

TEST(Budgets, MaxCostCountsThePricedCallsAndEndsTheRun) {
  ScriptedLoop f;
  f.settings.budgets.max_cost = 0.2;
  f.root->set_prices(1000, 1000);
  f.lua("print(1)").lua("print(2)").reply("best guess");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::max_cost);
  EXPECT_EQ(result.answer, "best guess");
  EXPECT_EQ(f.root->requests.size(), 3U);
  EXPECT_THAT(result.message, HasSubstr("max_cost (0.2000) ran out: 0.3300 used"));
}

TEST(Budgets, AnAnswerGivenInTheTurnThatSpendsTheBudgetIsTheAnswer) {
  ScriptedLoop f;
  f.settings.budgets.max_tokens = 100;
  f.lua("FINAL(#context)");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::final_answer);
  EXPECT_EQ(result.answer, "5015");
  EXPECT_EQ(f.root->requests.size(), 1U);
}

TEST(Budgets, SubCallsDrawOnTheBudgetAndNewOnesAreRefusedOnceItIsSpent) {
  ScriptedLoop f;
  f.settings.budgets.max_tokens = 200;
  f.sub->script.push_back({.text = "A"});
  f.sub->script.push_back({.text = "B"});
  f.lua("print(llm_query('one'))\nprint(pcall(llm_query, 'two'))").reply("done");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::max_tokens);
  EXPECT_EQ(f.sub->requests.size(), 1U); // 110 + 110 spent it: the second was not sent
  EXPECT_THAT(f.recorder.iterations[0].cells[0].output,
              HasSubstr(budget_refusal(StopReason::max_tokens)));
  EXPECT_EQ(result.answer, "done");
}

TEST(Budgets, NestedRunsDrawOnTheSameBudgetAndEndWithoutTheirOwnFinalCall) {
  ScriptedLoop f;
  f.settings.max_depth = 2;
  f.settings.bypass_threshold = 50;
  f.settings.budgets.max_tokens = 300;
  for (int i = 0; i < 3; ++i) f.sub->script.push_back({.text = "```lua\nprint(#context)\n```"});
  f.lua("print(pcall(llm_query, context:sub(1, 100)))").reply("outer answer");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::max_tokens);
  EXPECT_EQ(result.answer, "outer answer");
  // root 110, nested turns 220 and 330: the nested run stops there, and the outer one asks
  // for its answer.
  EXPECT_EQ(f.sub->requests.size(), 2U);
  EXPECT_EQ(f.root->requests.size(), 2U);
  EXPECT_EQ(result.budgets.at(0).used, 440);
  EXPECT_THAT(f.recorder.iterations.back().notes.at(0), HasSubstr("max_tokens (300) spent"));
}

TEST(Budgets, MaxSecondsCancelsAHangingRootModelAndStillAsksForTheAnswer) {
  ScriptedLoop f;
  f.settings.budgets.max_seconds = 0.3;
  f.settings.final_call_seconds = 2;
  f.root->script.push_back({.hang = true});
  f.reply("late but here");
  const auto started = std::chrono::steady_clock::now();
  const auto result = f.run();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.stop, StopReason::max_seconds);
  EXPECT_EQ(result.answer, "late but here");
  EXPECT_LT(took.count(), 3.0);
  ASSERT_EQ(f.root->requests.size(), 2U);
  ASSERT_EQ(f.root->requests[1].size(), 3U); // system, briefing, the final request
  EXPECT_EQ(f.last_message_of_request(2), budget_final_prompt(StopReason::max_seconds));
}

TEST(Budgets, AFinalCallThatHangsPastItsGraceEndsTheRunWithoutAnAnswer) {
  ScriptedLoop f;
  f.settings.budgets.max_seconds = 0.2;
  f.settings.final_call_seconds = 0.2;
  f.root->script.push_back({.hang = true});
  f.root->script.push_back({.hang = true});
  const auto started = std::chrono::steady_clock::now();
  const auto result = f.run();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.stop, StopReason::max_seconds);
  EXPECT_FALSE(result.answer);
  EXPECT_THAT(result.message, HasSubstr("the model gave no answer in time"));
  EXPECT_GE(took.count(), 0.35);
  EXPECT_LT(took.count(), 3.0);
}

TEST(Budgets, CtrlCDuringARunWithMaxSecondsIsStillAnInterruption) {
  ScriptedLoop f;
  f.settings.budgets.max_seconds = 30;
  f.root->script.push_back({.before = [&f] { f.cancel = true; }, .hang = true});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_EQ(f.root->requests.size(), 1U);
}

TEST(Budgets, WithNoBudgetSetTheResultListsNone) {
  ScriptedLoop f;
  f.lua("FINAL(#context)");
  EXPECT_TRUE(f.run().budgets.empty());
}

TEST(Budgets, TheBriefingTextNamesTheBudgetsThatAreSet) {
  EXPECT_EQ(budgets_briefing({}), "");
  EXPECT_EQ(budgets_briefing({.max_cost = 0.25, .max_seconds = 90, .max_tokens = 50000}),
            "50,000 tokens, a cost of 0.2500, 90 seconds");
}

TEST(Budgets, TheFinalCallMayRunATenthOfMaxSecondsPastItBetween5And60Seconds) {
  EXPECT_EQ(final_call_grace(20, std::nullopt), 5);
  EXPECT_EQ(final_call_grace(300, std::nullopt), 30);
  EXPECT_EQ(final_call_grace(3600, std::nullopt), 60);
  EXPECT_EQ(final_call_grace(3600, 2.5), 2.5);
}

TEST(Budgets, TheFirstBudgetToRunOutIsTheOneNamed) {
  Spending spending;
  spending.limits = {.max_cost = 1.0, .max_seconds = std::nullopt, .max_tokens = 100};
  spending.charge({90, 0, 20}, 0.5);
  EXPECT_EQ(spending.spent(), StopReason::max_tokens);
  spending.charge({0, 0, 0}, 2.0);
  EXPECT_EQ(spending.spent(), StopReason::max_tokens);
  EXPECT_EQ(spending.tokens(), 110);
  EXPECT_EQ(spending.cost(), 2.5);
}

} // namespace
} // namespace rlm::loop
