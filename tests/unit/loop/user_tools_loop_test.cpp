// A run with the user's own tools: they are in the REPL for the model's cells, so even a
// document small enough for the bypass runs the loop; a tool file that fails ends the run
// before any model call, with its one line.
#include "scripted_loop.hpp"

#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using testing::ScriptedLoop;

TEST(UserToolsInTheLoop, ASmallDocumentRunsTheLoopSoTheToolsCanBeCalled) {
  ScriptedLoop f("They met on 3 May 2024.\n");
  f.settings.bypass_threshold = 100'000; // far above the document
  f.settings.tools = {{"shout.lua", "-- shout(s): s in capitals\nfunction shout(s) return "
                                    "s:upper() end"}};
  f.lua("FINAL(shout(line(1)))");
  const auto result = f.run();
  EXPECT_EQ(result.mode, RunMode::rlm);
  EXPECT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "THEY MET ON 3 MAY 2024.");
}

TEST(UserToolsInTheLoop, AToolFileThatFailsEndsTheRunBeforeAnyModelCall) {
  ScriptedLoop f;
  f.settings.tools = {{"bad.lua", "x = 1\nerror('no dates here')"}};
  f.lua("FINAL('never')");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::failure);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, ErrorKind::usage);
  EXPECT_EQ(result.message, "tool file bad.lua:2: no dates here");
  EXPECT_TRUE(f.root->requests.empty());
}

} // namespace
} // namespace rlm::loop
