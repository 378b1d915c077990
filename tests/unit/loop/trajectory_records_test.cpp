// What the trajectory is made of: every root request (as the previous one's start plus what
// follows), every sub-call's prompt and answer (cut, marked, never mid-character), each
// cell's error message, cost and attempts per turn, and where a nested run comes from.
#include "loop/recorded_text.hpp"
#include "loop/request_log.hpp"
#include "scripted_loop.hpp"

#include "rlm/loop/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using testing::ScriptedLoop;
using Messages = std::vector<providers::Message>;

// Each run's requests rebuilt from the records alone, in the order they were sent.
std::map<int, std::vector<Messages>> rebuilt_requests(const std::vector<RequestRecord>& records) {
  std::map<int, std::vector<Messages>> runs;
  for (const auto& r : records) {
    auto& sent = runs[r.run];
    Messages messages;
    if (!sent.empty()) {
      EXPECT_LE(r.keep, sent.back().size());
      messages.assign(sent.back().begin(),
                      sent.back().begin() + static_cast<std::ptrdiff_t>(r.keep));
    } else {
      EXPECT_EQ(r.keep, 0U);
    }
    messages.insert(messages.end(), r.messages.begin(), r.messages.end());
    EXPECT_EQ(messages.size(), r.count);
    sent.push_back(std::move(messages));
  }
  return runs;
}

TEST(RequestLog, AGrowingConversationRecordsOnlyWhatWasAppended) {
  RequestLog log;
  const Messages first = {{"system", "S"}, {"user", "B"}};
  auto record = log.next(first);
  EXPECT_EQ(record.keep, 0U);
  EXPECT_EQ(record.messages, first);
  const Messages second = {{"system", "S"}, {"user", "B"}, {"assistant", "A"}, {"user", "F"}};
  record = log.next(second);
  EXPECT_EQ(record.keep, 2U);
  EXPECT_EQ(record.messages, (Messages{{"assistant", "A"}, {"user", "F"}}));
  EXPECT_EQ(record.count, 4U);
}

TEST(RequestLog, ACompactedTurnIsSentAgainFromWhereTheConversationChanged) {
  RequestLog log;
  log.next({{"system", "S"}, {"user", "B"}, {"assistant", "long A"}, {"user", "long F"}});
  const auto record = log.next(
      {{"system", "S"}, {"user", "B"}, {"assistant", "A (cut)"}, {"user", "F"}, {"user", "G"}});
  EXPECT_EQ(record.keep, 2U);
  EXPECT_EQ(record.messages, (Messages{{"assistant", "A (cut)"}, {"user", "F"}, {"user", "G"}}));
}

TEST(RecordedText, ACutNeverSplitsACharacterAndSaysHowMuchWasLeftOut) {
  const auto whole = recorded_text("short", 10);
  EXPECT_EQ(whole.text, "short");
  EXPECT_EQ(whole.cut, 0U);
  const auto cut = recorded_text("a\xC3\xA9\xC3\xA9", 4); // "aéé": 5 bytes
  EXPECT_EQ(cut.text, "a\xC3\xA9");
  EXPECT_EQ(cut.cut, 2U);
}

TEST(TrajectoryRecords, EveryRootRequestCanBeRebuiltFromTheRecordsEvenWhenCompacted) {
  ScriptedLoop f;
  f.root->room_chars = 12'000; // older turns are compacted before later requests
  f.lua("found = grep('needle')[1].text\nprint(string.rep('z', 3000))");
  for (int n = 2; n <= 8; ++n) f.lua("print(string.rep('z', " + std::to_string(3000 + n) + "))");
  f.lua("FINAL(found)");
  const auto result = f.run();
  ASSERT_EQ(result.stop, StopReason::final_answer) << result.message;
  const auto runs = rebuilt_requests(f.recorder.requests);
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs.at(0), f.root->requests);
  bool compacted = false;
  for (const auto& r : f.recorder.iterations) compacted = compacted || !r.compactions.empty();
  EXPECT_TRUE(compacted);
  // Less than was sent, though compaction changes older turns and so sends them again.
  std::size_t recorded = 0;
  std::size_t sent = 0;
  for (const auto& r : f.recorder.requests)
    for (const auto& m : r.messages) recorded += m.content.size();
  for (const auto& request : f.root->requests)
    for (const auto& m : request) sent += m.content.size();
  EXPECT_LT(recorded, sent);
  EXPECT_EQ(f.recorder.requests.back().iteration, 9);
}

TEST(TrajectoryRecords, ASubCallKeepsItsPromptAndAnswerCutAtTheConfiguredSize) {
  ScriptedLoop f;
  f.settings.trajectory_max_text = 10;
  f.sub->script.push_back({.text = std::string(10, 'a') + "\xC3\xA9" + std::string(8, 'b')});
  f.sub->script.push_back({.text = "short"});
  f.lua("x = llm_query(string.rep('p', 30))\ny = llm_query('hi')\nprint(#context)").lua("FINAL(y)");
  f.run();
  ASSERT_GE(f.recorder.iterations.size(), 1U);
  const auto& calls = f.recorder.iterations[0].sub_calls;
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].id, 1);
  EXPECT_EQ(calls[0].prompt, std::string(10, 'p'));
  EXPECT_EQ(calls[0].prompt_cut, 20U);
  EXPECT_EQ(calls[0].answer, std::string(10, 'a'));
  EXPECT_EQ(calls[0].answer_cut, 10U);
  EXPECT_EQ(calls[0].attempts, 1);
  EXPECT_EQ(calls[1].id, 2);
  EXPECT_EQ(calls[1].prompt, "hi");
  EXPECT_EQ(calls[1].answer, "short");
  const auto json = to_json(calls[0]);
  EXPECT_EQ(json["prompt_cut"], 20);
  EXPECT_EQ(json["answer"], std::string(10, 'a'));
  EXPECT_FALSE(to_json(calls[1]).contains("prompt_cut"));
}

TEST(TrajectoryRecords, ACellKeepsItsErrorMessageAndATurnItsCostAndAttempts) {
  ScriptedLoop f;
  f.root->set_prices(1.0, 2.0); // per million tokens; each reply is 100 in, 10 out
  f.lua("print(#context)\nerror('the needle is not here')").lua("FINAL('done')");
  f.run();
  ASSERT_GE(f.recorder.iterations.size(), 1U);
  const auto& turn = f.recorder.iterations[0];
  ASSERT_EQ(turn.cells.size(), 1U);
  EXPECT_THAT(turn.cells[0].error_message, HasSubstr("the needle is not here"));
  const auto json = to_json(turn);
  EXPECT_EQ(json["cells"][0]["error"], "runtime");
  EXPECT_THAT(json["cells"][0]["error_message"].get<std::string>(),
              HasSubstr("the needle is not here"));
  EXPECT_EQ(json["attempts"], 1);
  ASSERT_TRUE(turn.cost);
  EXPECT_DOUBLE_EQ(*turn.cost, (100 * 1.0 + 10 * 2.0) / 1e6);
  EXPECT_TRUE(to_json(f.recorder.iterations[1])["cells"][0]["error_message"].is_null());
}

TEST(TrajectoryRecords, ANestedRunSaysWhichTurnAndSubCallOfItsParentItAnswers) {
  ScriptedLoop f;
  f.settings.max_depth = 2;
  f.settings.bypass_threshold = 50;
  f.sub->script.push_back({.text = "```lua\nFINAL('inner ' .. #context)\n```"});
  f.lua("print(#context)").lua("FINAL(llm_query(context:sub(1, 100)))");
  const auto result = f.run();
  ASSERT_EQ(result.answer, "inner 100");
  ASSERT_EQ(f.recorder.starts.size(), 2U);
  EXPECT_EQ(f.recorder.starts[0].run, 0);
  EXPECT_FALSE(f.recorder.starts[0].parent);
  const auto& nested = f.recorder.starts[1];
  EXPECT_EQ(nested.run, 1);
  ASSERT_TRUE(nested.parent);
  EXPECT_EQ(nested.parent->run, 0);
  EXPECT_EQ(nested.parent->iteration, 2);
  const auto& parent_turn = f.recorder.iterations.back();
  ASSERT_EQ(parent_turn.run, 0);
  ASSERT_EQ(parent_turn.sub_calls.size(), 1U);
  EXPECT_EQ(nested.parent->sub_call, parent_turn.sub_calls[0].id);
  const auto start = to_json(nested);
  EXPECT_EQ(start["parent_iteration"], 2);
  EXPECT_EQ(start["parent_sub_call"], parent_turn.sub_calls[0].id);
  EXPECT_FALSE(to_json(f.recorder.starts[0]).contains("parent_run"));
  // The nested run's turn and requests carry its number; its requests rebuild as sent.
  ASSERT_EQ(f.recorder.iterations.size(), 3U); // the parent's turn 1, the nested one's, turn 2
  EXPECT_EQ(f.recorder.iterations[1].run, 1);
  const auto runs = rebuilt_requests(f.recorder.requests);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs.at(1), f.sub->requests);
  EXPECT_EQ(runs.at(0), f.root->requests);
}

} // namespace
} // namespace rlm::loop
