// The events a live display follows: cells start and end around each REPL run, and every
// sub-call that was sent starts once and ends once (refused ones do neither). A nested run's
// cells: Loop.ALongSubCallPromptBecomesANestedRunWhoseRootIsTheSubModel.
#include "scripted_loop.hpp"

#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using testing::ScriptedLoop;
using Kind = providers::ProviderError::Kind;

TEST(ObserverEvents, EachCellStartsAndEndsAtItsDepth) {
  ScriptedLoop f;
  f.reply("```lua\nx = 1\n```\n```lua\nprint(x)\n```").lua("FINAL(x)");
  f.run();
  EXPECT_EQ(f.recorder.cells,
            (std::vector<std::string>{"start 0", "end 0", "start 0", "end 0", "start 0", "end 0"}));
}

TEST(ObserverEvents, BatchedSubCallsEachStartAndEnd) {
  ScriptedLoop f;
  f.sub->script.push_back({.text = "a"});
  f.sub->script.push_back({.text = "b"});
  f.sub->script.push_back({.text = "c"});
  f.lua("llm_query_batched({'1', '2', '3'})").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.recorder.sub_calls_started, 3);
  EXPECT_EQ(f.recorder.sub_calls_ended, 3);
}

TEST(ObserverEvents, SubCallsRefusedWhileTheRunStopsNeverStart) {
  ScriptedLoop f;
  f.sub->script.push_back({.error = providers::ProviderError{Kind::model_not_found, "pull it"}});
  f.lua("for i = 1, 5 do pcall(llm_query, 'q' .. i .. context:sub(1, 1)) end\nFINAL('guess')");
  f.run();
  EXPECT_EQ(f.recorder.sub_calls_started, 1);
  EXPECT_EQ(f.recorder.sub_calls_ended, 1);
}

} // namespace
} // namespace rlm::loop
