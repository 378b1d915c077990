// A long run whose conversation outgrows the root model's window: older turns are compacted
// before the request (when the window is known) or after the server refuses it, and the run
// goes on to its answer with the REPL's variables intact.
#include "scripted_loop.hpp"

#include "rlm/loop/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using testing::ScriptedLoop;

constexpr std::int64_t k_window = 12'000;

// Turn 1 finds the needle and keeps it in a variable; turns 2 .. `turns` each print 3,000
// characters; the last turn answers from the variable, which only the REPL still holds whole.
ScriptedLoop& long_run(ScriptedLoop& f, int turns) {
  f.lua("found = grep('needle')[1].text\nprint(string.rep('z', 3000))");
  for (int n = 2; n <= turns; ++n)
    f.lua("print(string.rep('z', " + std::to_string(3000 + n) + "))");
  f.lua("FINAL(found)");
  return f;
}

std::vector<CompactionRecord> all_compactions(const ScriptedLoop& f) {
  std::vector<CompactionRecord> out;
  for (const auto& r : f.recorder.iterations)
    out.insert(out.end(), r.compactions.begin(), r.compactions.end());
  return out;
}

TEST(Compaction, AKnownWindowIsNeverOverrunAndTheRunReachesItsAnswer) {
  ScriptedLoop f;
  f.root->room_chars = k_window;
  f.root->conversation_limit = k_window; // the server would refuse anything larger
  long_run(f, 9);
  const auto result = f.run();
  ASSERT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "the needle 42");
  ASSERT_EQ(f.root->requests.size(), 10U); // no request was refused and sent again
  for (const auto& request : f.root->requests) EXPECT_LE(conversation_chars(request), k_window);
  const auto compactions = all_compactions(f);
  ASSERT_FALSE(compactions.empty());
  for (const auto& c : compactions) {
    EXPECT_EQ(c.reason, "near_window");
    EXPECT_EQ(c.limit_chars, k_window);
    EXPECT_LT(c.chars_after, c.chars_before);
    EXPECT_TRUE(c.fits);
  }
  // The turn whose request was compacted tells the model so, in its feedback.
  for (const auto& r : f.recorder.iterations) {
    if (r.compactions.empty() || r.feedback.empty()) continue;
    EXPECT_THAT(r.feedback, HasSubstr("Every variable they set is still in the REPL"));
    const auto json = to_json(r);
    ASSERT_TRUE(json.contains("compactions"));
    EXPECT_EQ(json["compactions"][0]["reason"], "near_window");
    EXPECT_EQ(json["compactions"][0]["limit_chars"], k_window);
    EXPECT_EQ(json["compactions"][0]["chars_after"], r.compactions[0].chars_after);
  }
  // Uncompacted turns say nothing of it.
  EXPECT_FALSE(to_json(f.recorder.iterations.front()).contains("compactions"));
}

TEST(Compaction, ARefusedConversationIsCompactedAndSentOnceMore) {
  ScriptedLoop f;
  f.root->conversation_limit = k_window; // the window is unknown until the server refuses
  long_run(f, 9);
  const auto result = f.run();
  ASSERT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "the needle 42");
  const auto compactions = all_compactions(f);
  ASSERT_FALSE(compactions.empty());
  // Each refusal is one more request: the refused one, then the compacted one.
  EXPECT_EQ(f.root->requests.size(), 10U + compactions.size());
  std::size_t refused = 0;
  for (std::size_t i = 0; i < f.root->requests.size(); ++i) {
    const auto chars = conversation_chars(f.root->requests[i]);
    if (chars <= k_window) continue;
    ASSERT_LT(refused, compactions.size());
    const auto& c = compactions[refused++];
    EXPECT_EQ(c.reason, "context_overflow");
    EXPECT_EQ(c.chars_before, chars);
    EXPECT_EQ(c.limit_chars, chars / 5 * 3); // a refusal that says nothing of what fits
    ASSERT_LT(i + 1, f.root->requests.size());
    EXPECT_EQ(conversation_chars(f.root->requests[i + 1]), c.chars_after);
  }
  EXPECT_EQ(refused, compactions.size());
}

TEST(Compaction, ARefusalWithNothingToCompactEndsTheRunWithIt) {
  ScriptedLoop f;
  f.root->conversation_limit = 50; // not even the system prompt and the briefing fit
  f.lua("FINAL('never')");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::provider);
  EXPECT_THAT(result.message, HasSubstr("the request exceeds the available context size"));
  EXPECT_EQ(f.root->requests.size(), 1U);
  EXPECT_FALSE(result.answer);
}

TEST(Compaction, ASmallWindowCutsEachTurnsOutputToAThirdOfIt) {
  ScriptedLoop f;
  f.prompts.system = "SYSTEM output={{output_chars}}";
  f.root->room_chars = 9'000;
  f.lua("print(string.rep('z', 5000))").lua("FINAL('done')");
  f.run();
  EXPECT_EQ(f.root->requests.at(0).front().content, "SYSTEM output=3,000");
  EXPECT_THAT(f.last_message_of_request(2),
              HasSubstr("[output truncated: 2001 more bytes not shown")); // 5,001 with "\n"
}

TEST(Compaction, TheFinalCallFitsTheWindowToo) {
  ScriptedLoop f;
  f.settings.max_iterations = 8;
  f.root->room_chars = k_window;
  f.root->conversation_limit = k_window;
  long_run(f, 8);
  f.root->script.back() = {.text = "FINAL(the needle 42)"}; // what the final call answers
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::max_iterations) << result.message;
  EXPECT_EQ(result.answer, "the needle 42");
  ASSERT_EQ(f.root->requests.size(), 9U);
  EXPECT_EQ(f.last_message_of_request(9), "FINAL PLEASE");
  EXPECT_LE(conversation_chars(f.root->requests.back()), k_window);
}

} // namespace
} // namespace rlm::loop
