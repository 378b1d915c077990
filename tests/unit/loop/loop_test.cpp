// Every loop policy, in process: scripted root and sub models, the real sandbox, and the
// exact messages the model is sent.
#include "scripted_loop.hpp"

#include "loop/policy.hpp"
#include "loop/run_scope.hpp"
#include "rlm/loop/briefing.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScriptedLoop;
using Kind = providers::ProviderError::Kind;

const std::string k_footer_1 = "\n[turn 1 of 20 done; sub-calls left: 50 of 50]";

TEST(Loop, TheFirstRequestIsTheFilledSystemPromptAndTheBriefing) {
  ScriptedLoop f;
  f.lua("FINAL(#context)");
  const auto result = f.run("where is the needle?");
  ASSERT_EQ(f.root->requests.size(), 1U);
  const auto& first = f.root->requests[0];
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].role, "system");
  EXPECT_EQ(first[0].content, "SYSTEM max_iterations=20 max_sub_calls=50");
  EXPECT_EQ(first[1].role, "user");
  EXPECT_EQ(first[1].content, briefing(f.documents, "where is the needle?", {}));
  EXPECT_EQ(result.stop, StopReason::final_answer);
  EXPECT_EQ(result.answer, "5015");
  EXPECT_EQ(result.mode, RunMode::rlm);
  EXPECT_EQ(result.iterations, 1);
}

TEST(Loop, TheFeedbackIsTheOutputThenTheTurnFooter) {
  ScriptedLoop f;
  f.lua("print('hello')").lua("FINAL(#context)");
  f.run();
  ASSERT_EQ(f.root->requests.size(), 2U);
  const auto& second = f.root->requests[1];
  ASSERT_EQ(second.size(), 4U);
  EXPECT_EQ(second[2].role, "assistant");
  EXPECT_EQ(second[2].content, "```lua\nprint('hello')\n```");
  EXPECT_EQ(second[3].role, "user");
  EXPECT_EQ(second[3].content, "Output:\nhello\n" + k_footer_1);
}

TEST(Loop, CodeThatPrintsNothingSaysSo) {
  ScriptedLoop f;
  f.lua("local x = 1").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2), "(the code printed nothing)\n" + k_footer_1);
}

TEST(Loop, AnAnswerBeforeReadingTheDocumentIsTurnedBackOnceWithItsSize) {
  ScriptedLoop f;
  f.reply("FINAL(a guess)").reply("FINAL(a second guess)");
  const auto result = f.run();
  ASSERT_EQ(f.root->requests.size(), 2U);
  EXPECT_EQ(f.last_message_of_request(2),
            "\n" + turned_back_note(total_chars(f.documents)) + "\n" + k_footer_1);
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("(5,015 characters)"));
  // Turned back once only: the second answer stands, looked or not.
  EXPECT_EQ(result.answer, "a second guess");
  EXPECT_EQ(result.iterations, 2);
}

TEST(Loop, AFinalInCodeThatNeverReadTheDocumentIsTurnedBackToo) {
  ScriptedLoop f;
  f.lua("FINAL('guess')").lua("FINAL(#context)");
  const auto result = f.run();
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("Not accepted yet"));
  EXPECT_EQ(result.answer, "5015");
}

TEST(Loop, ReadingTheDocumentInACellThatThenFailedCountsAsLooking) {
  ScriptedLoop f;
  f.lua("local c = context\nerror('boom')").reply("FINAL(seen)");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "seen");
  EXPECT_EQ(result.iterations, 2);
  EXPECT_THAT(f.last_message_of_request(2), Not(HasSubstr("Not accepted")));
}

TEST(Loop, ASearchToolCountsAsLookingButCodeNamingNoToolDoesNot) {
  ScriptedLoop f;
  f.lua("local hits = grep('needle')\nprint(#hits)").reply("FINAL(found)");
  EXPECT_EQ(f.run().answer, "found");

  ScriptedLoop g; // the word "context" in a string reads nothing
  g.lua("print('context, grep, re.find')").reply("FINAL(no)").reply("FINAL(still no)");
  const auto result = g.run();
  EXPECT_THAT(g.last_message_of_request(3), HasSubstr("Not accepted yet"));
  EXPECT_EQ(result.answer, "still no");
}

TEST(Loop, RepeatedCodeGetsANoteAfterItsOutput) {
  ScriptedLoop f;
  f.lua("print(#context)").lua("print(#context)").lua("FINAL(1)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(3),
            "Output:\n5015\n\nYou ran exactly this code before; its output is above. Try "
            "something different, or finish with FINAL.\n\n[turn 2 of 20 done; sub-calls left: "
            "50 of 50]");
}

TEST(Loop, AReplyWithoutCodeIsNudgedAndCountsAsAFailedTurn) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 2;
  f.reply("Let me think about it.").reply("Still thinking.");
  const auto result = f.run();
  EXPECT_EQ(f.last_message_of_request(2),
            "\n" + no_code(parse_reply("plain")).note + "\n" + k_footer_1);
  EXPECT_EQ(result.stop, StopReason::errors);
  EXPECT_EQ(result.message, "the root model failed 2 turns in a row (last: a reply without "
                            "code); try a stronger root model");
  EXPECT_FALSE(result.answer);
}

TEST(Loop, APythonBlockIsNotRunAndTheModelIsToldToRewriteIt) {
  ScriptedLoop f;
  f.reply("```python\nprint(len(context))\n```").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2),
            "\nYour ```python block was not run: only ```lua blocks run, in a Lua 5.4 REPL. "
            "Rewrite it in Lua.\n" +
                k_footer_1);
}

TEST(Loop, LuaBesidePythonRunsAndTheModelIsToldThePythonDidNot) {
  ScriptedLoop f;
  f.reply("```lua\nprint(1)\n```\n```python\nprint(2)\n```").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2),
            "Output:\n1\n\nOnly the ```lua blocks ran; the ```python block did not.\n" +
                k_footer_1);
}

TEST(Loop, TurnsWhoseCodeAllFailsStopTheRunAtTheLimit) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 3;
  f.lua("error('one')").lua("error('two')").lua("error('three')");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::errors);
  EXPECT_EQ(f.root->requests.size(), 3U);
  EXPECT_THAT(result.message, HasSubstr("failed 3 turns in a row (last: "));
  EXPECT_THAT(result.message, HasSubstr("three"));
  EXPECT_EQ(result.iterations, 3);
}

TEST(Loop, ATurnWithOneWorkingCellBreaksTheStreak) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 2;
  f.lua("error('one')").lua("print(#context)").lua("error('two')").lua("FINAL(#context)");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::final_answer);
  EXPECT_EQ(result.iterations, 4);
}

TEST(Loop, OutOfTurnsOneLastCallAsksForTheBestAnswer) {
  ScriptedLoop f;
  f.settings.max_iterations = 2;
  f.lua("print(1)").lua("print(2)").reply("FINAL(best effort)");
  const auto result = f.run();
  ASSERT_EQ(f.root->requests.size(), 3U);
  EXPECT_EQ(f.last_message_of_request(3), "FINAL PLEASE");
  EXPECT_EQ(result.stop, StopReason::max_iterations);
  EXPECT_EQ(result.answer, "best effort");
  EXPECT_EQ(result.message,
            "max_iterations (2) reached; the answer is the model's best effort from what it found");
  EXPECT_EQ(result.iterations, 2);
  ASSERT_EQ(f.recorder.iterations.size(), 3U);
  EXPECT_EQ(f.recorder.iterations.back().number, 3);
  EXPECT_EQ(f.recorder.iterations.back().notes,
            std::vector<std::string>{"final answer requested: max_iterations reached"});
}

TEST(Loop, AFinalCallWithoutFinalAnswersWithTheReplyOutsideItsFences) {
  ScriptedLoop f;
  f.settings.max_iterations = 1;
  f.lua("print(1)").reply("```\nThe answer is 42.\n```");
  EXPECT_EQ(f.run().answer, "The answer is 42.");
}

TEST(Loop, AReplyCutAtTheTokenLimitGetsANote) {
  ScriptedLoop f;
  f.root->script.push_back({.text = "```lua\nprint(#context)\n```\nNow I will",
                            .finish_reason = "length",
                            .max_tokens = 100});
  f.lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2),
            "Output:\n5015\n\nYour reply stopped at the 100-token limit before it ended; write "
            "shorter replies (one code block, little prose).\n" +
                k_footer_1);
}

TEST(Loop, OutputPastTheFeedbackLimitIsCutWithAMarker) {
  ScriptedLoop f;
  f.settings.max_feedback_bytes = 10;
  f.lua("print(string.rep('a', 30))").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2),
            "Output:\naaaaaaaaaa\n[output truncated: 21 more bytes not shown; print less, or "
            "summarise with code]" +
                k_footer_1);
}

TEST(Loop, SeveralBlocksRunInOrderEachLabelled) {
  ScriptedLoop f;
  f.reply("```lua\nx = 2\nprint(x)\n```\n```lua\nprint(x * 21)\n```").lua("FINAL(#context)");
  f.run();
  EXPECT_EQ(f.last_message_of_request(2), "Output:\n[block 1]\n2\n[block 2]\n42\n" + k_footer_1);
}

TEST(Loop, AFinalEndsTheTurnBeforeTheBlocksAfterIt) {
  ScriptedLoop f;
  f.reply("```lua\nFINAL(#context)\n```\n```lua\nprint('never')\n```");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "5015");
  ASSERT_EQ(f.recorder.iterations.size(), 1U);
  EXPECT_EQ(f.recorder.iterations[0].cells.size(), 1U);
}

TEST(Loop, FinalVarOnItsOwnLineAnswersWithTheVariable) {
  ScriptedLoop f;
  f.lua("answer = tostring(#grep('needle'))").reply("FINAL_VAR(answer)");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "1");
  EXPECT_EQ(result.iterations, 2);
}

TEST(Loop, PythonInALuaBlockGetsTheWrongLanguageHint) {
  ScriptedLoop f;
  f.lua("for i in range(10):\n  print(i)").lua("FINAL(#context)");
  f.run();
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("hint: this looks like Python"));
}

TEST(Loop, ARootFailureEndsTheRunWithTheProvidersMessageAndNoAnswer) {
  ScriptedLoop f;
  f.reply("FINAL(guess)"); // turned back: a guess, never printed after a failure
  f.root->script.push_back(
      {.error = providers::ProviderError{Kind::model_not_found, "model 'm' not found"}});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::provider);
  EXPECT_EQ(result.message, "model 'm' not found");
  EXPECT_EQ(result.provider_error, Kind::model_not_found);
  EXPECT_FALSE(result.answer);
  EXPECT_EQ(result.iterations, 1); // the second turn never began
}

TEST(Loop, CtrlCAfterATurnedBackAnswerHandsThatAnswerOn) {
  ScriptedLoop f;
  f.reply("FINAL(my guess)");
  f.root->script.push_back({.error = providers::ProviderError{Kind::cancelled, "cancelled"},
                            .before = [&f] { f.cancel = true; }});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_EQ(result.answer, "my guess");
}

TEST(Loop, CtrlCDuringTheFinalCallHandsOnTheTurnedBackAnswerToo) {
  ScriptedLoop f;
  f.settings.max_iterations = 1;
  f.reply("FINAL(my guess)");
  f.root->script.push_back({.error = providers::ProviderError{Kind::cancelled, "cancelled"},
                            .before = [&f] { f.cancel = true; }});
  const auto result = f.run();
  EXPECT_EQ(f.last_message_of_request(2), "FINAL PLEASE");
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_EQ(result.answer, "my guess");
}

TEST(Loop, AToolCallRefusedAtItsArgumentsHasNotReadTheDocument) {
  ScriptedLoop f;
  f.lua("pcall(grep)\npcall(line, {})\nFINAL('guess')").reply("FINAL(second)");
  const auto result = f.run();
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("Not accepted yet"));
  EXPECT_EQ(result.answer, "second");
}

TEST(Loop, ACtrlCBetweenTurnsStopsBeforeTheNextCall) {
  ScriptedLoop f;
  f.root->script.push_back({.text = "```lua\nprint(1)\n```", .before = [&f] { f.cancel = true; }});
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::cancelled);
  EXPECT_EQ(f.root->requests.size(), 1U);
  EXPECT_EQ(result.iterations, 1);
}

TEST(Loop, AReplThatCannotStartEndsTheRunAsAFailureBeforeAnyCall) {
  ScriptedLoop f;
  f.repl_start_error = Error{ErrorKind::internal, "cannot start the Lua REPL: no memory", ""};
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::failure);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->message, "cannot start the Lua REPL: no memory");
  EXPECT_TRUE(f.root->requests.empty());
}

TEST(Loop, AReplLostMidRunEndsItAsAFailureAndTheTurnIsStillReported) {
  ScriptedLoop f;
  f.repl_fails_after = 1;
  f.lua("print(#context)").lua("print(2)");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::failure);
  EXPECT_EQ(result.message, "cannot start the Lua REPL: it did not answer");
  EXPECT_EQ(f.recorder.iterations.size(), 2U);
  EXPECT_FALSE(result.answer);
}

TEST(Loop, ASubCallGoesToTheSubModelAsOneUserMessage) {
  ScriptedLoop f;
  f.sub->script.push_back({.text = "forty-two"});
  f.lua("FINAL(llm_query('what is ' .. context:sub(-3, -2)))");
  const auto result = f.run();
  ASSERT_EQ(f.sub->requests.size(), 1U);
  ASSERT_EQ(f.sub->requests[0].size(), 1U);
  EXPECT_EQ(f.sub->requests[0][0].role, "user");
  EXPECT_EQ(f.sub->requests[0][0].content, "what is 42");
  EXPECT_EQ(result.answer, "forty-two");
  EXPECT_EQ(result.sub_calls, 1);
}

TEST(Loop, TheFooterCountsTheSubCallsLeft) {
  ScriptedLoop f;
  f.settings.max_sub_calls = 5;
  f.sub->script.push_back({.text = "a"});
  f.sub->script.push_back({.text = "b"});
  f.lua("llm_query_batched({'1', '2'})").lua("FINAL(#context)");
  f.run();
  EXPECT_THAT(f.last_message_of_request(2),
              HasSubstr("[turn 1 of 20 done; sub-calls left: 3 of 5]"));
  EXPECT_EQ(f.root->requests[0][0].content, "SYSTEM max_iterations=20 max_sub_calls=5");
}

TEST(Loop, ASubCallFailureThatWouldRepeatStopsTheRunWithTheFix) {
  ScriptedLoop f;
  f.sub->script.push_back(
      {.error = providers::ProviderError{Kind::model_not_found, "pull it: ollama pull s"}});
  f.lua("for i = 1, 5 do pcall(llm_query, 'q' .. i .. context:sub(1, 1)) end\nFINAL('guess')");
  const auto result = f.run();
  EXPECT_EQ(result.stop, StopReason::provider);
  EXPECT_EQ(result.message, "a sub-call failed, and every sub-call would: pull it: ollama pull s");
  EXPECT_EQ(result.provider_error, Kind::model_not_found);
  EXPECT_EQ(f.sub->requests.size(), 1U); // the cell was aborted; nothing more was sent
  EXPECT_FALSE(result.answer);
}

TEST(Loop, ALongSubCallPromptBecomesANestedRunWhoseRootIsTheSubModel) {
  ScriptedLoop f;
  f.settings.max_depth = 2;
  f.settings.bypass_threshold = 50;
  f.sub->script.push_back({.text = "```lua\nFINAL('inner ' .. #context)\n```"});
  f.lua("FINAL(llm_query(context:sub(1, 100)))");
  const auto result = f.run();
  EXPECT_EQ(result.answer, "inner 100");
  ASSERT_EQ(f.sub->requests.size(), 1U);
  EXPECT_EQ(f.sub->requests[0][0].content, "SYSTEM max_iterations=20 max_sub_calls=49");
  EXPECT_THAT(f.sub->requests[0][1].content, HasSubstr("NESTED QUESTION"));
  ASSERT_EQ(f.recorder.starts.size(), 2U);
  EXPECT_EQ(f.recorder.starts[1].depth, 1);
  // The nested run's cell runs inside the root's, at its own depth.
  EXPECT_EQ(f.recorder.cells, (std::vector<std::string>{"start 0", "start 1", "end 1", "end 0"}));
}

TEST(Loop, ASmallDocumentGoesToTheModelInOneCall) {
  ScriptedLoop f("tiny doc");
  f.settings.bypass_threshold = 100;
  f.reply("```\nit is tiny\n```");
  const auto result = f.run("how big?");
  ASSERT_EQ(f.root->requests.size(), 1U);
  EXPECT_EQ(f.root->requests[0][0].content, "BYPASS");
  EXPECT_EQ(f.root->requests[0][1].content, "Document:\n<<<\ntiny doc\n>>>\n\nQuestion: how big?");
  EXPECT_EQ(result.mode, RunMode::bypass);
  EXPECT_EQ(result.answer, "it is tiny");
  EXPECT_EQ(result.iterations, 1);
}

TEST(Loop, EachTurnIsReportedOnceWithItsCellsAndFeedback) {
  ScriptedLoop f;
  f.lua("print(#context)").lua("FINAL(#context)");
  f.run();
  ASSERT_EQ(f.recorder.iterations.size(), 2U);
  const auto& first = f.recorder.iterations[0];
  EXPECT_EQ(first.number, 1);
  ASSERT_EQ(first.cells.size(), 1U);
  EXPECT_EQ(first.cells[0].code, "print(#context)\n");
  EXPECT_EQ(first.cells[0].output, "5015\n");
  EXPECT_FALSE(first.cells[0].error_kind);
  EXPECT_EQ(first.feedback, f.last_message_of_request(2));
  EXPECT_TRUE(f.recorder.iterations[1].cells[0].set_final);
  EXPECT_EQ(f.recorder.iterations[1].feedback, ""); // the run ended: nothing was sent back
}

} // namespace
} // namespace rlm::loop

namespace rlm::loop {
namespace {

// A slip a model trained on Python makes, the part of rlm's hint that names the Lua form,
// and the code it writes once it has read that hint.
struct Slip {
  std::string code;
  std::string hint;
  std::string fixed;
};

const std::vector<Slip> k_python_habits = {
    {"n = len(context)", "the length of a string or table is #x", "n = #context"},
    {"io.write(n)", "print(a, b) writes the output", "print(n)"},
    {"hits = {} hits.append(1)", "use table.insert(t, x)", "hits = {} table.insert(hits, 1)"},
    {"first = hits[0] + 1", "Lua tables start at 1", "first = hits[1] + 1"},
    {"local json = require('json')", "nothing needs require", "local found = {}"},
    {"if first != 2 then error('?') end",
     "Lua writes not-equal as ~=", "if first ~= 2 then error('?') end"},
    {"s = string.format('%d', count)", "a value given to string.format is nil",
     "s = string.format('%d', n)"},
    {"print(line(1).upper())", "call string methods with a colon", "print(line(1):upper())"},
    {"if s == None then error('?') end", "Lua writes nil, true and false",
     "if s == nil then error('?') end"},
};

// The "Python habits" model: each turn it writes one new slip, after the fix of the last one
// — but only once rlm's feedback carried the hint that names the fix; without it, it writes
// the same slip again (and the run would end on its error streak).
std::string python_habits(const std::vector<providers::Message>& messages) {
  std::size_t next = 0; // slips the feedback has taught so far
  for (const auto& m : messages) {
    if (m.role == "user" && next < k_python_habits.size() &&
        m.content.find("hint: ") != std::string::npos &&
        m.content.find(k_python_habits[next].hint) != std::string::npos)
      ++next;
  }
  std::string reply;
  for (std::size_t i = 0; i < next; ++i) reply += "```lua\n" + k_python_habits[i].fixed + "\n```\n";
  if (next < k_python_habits.size())
    return reply + "```lua\n" + k_python_habits[next].code + "\n```";
  return reply + "```lua\nFINAL(s)\n```";
}

TEST(Loop, APythonHabitsModelGetsAHintForEachSlipAndStillReachesFinal) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 2;
  f.root->responder = python_habits;
  const auto result = f.run();
  ASSERT_EQ(result.stop, StopReason::final_answer) << result.message;
  EXPECT_EQ(result.answer, "5015");
  EXPECT_EQ(result.iterations, static_cast<int>(k_python_habits.size()) + 1);
  for (std::size_t i = 0; i < k_python_habits.size(); ++i)
    EXPECT_THAT(f.recorder.iterations.at(i).feedback, HasSubstr(k_python_habits[i].hint)) << i;
}

TEST(Loop, WithoutTheHintThePythonHabitsModelNeverGetsPastItsFirstSlip) {
  ScriptedLoop f;
  f.settings.max_consecutive_errors = 2;
  f.root->responder = [](const std::vector<providers::Message>&) {
    return "```lua\n" + k_python_habits[0].code + "\n```";
  };
  EXPECT_EQ(f.run().stop, StopReason::errors);
}

} // namespace
} // namespace rlm::loop
