// A sub-call prompt over the sub model's window: refused with the limit, or, with
// split_oversized_prompts, sent as parts whose answers come back joined.
#include "scripted_loop.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using testing::ScriptedLoop;

// A root model that sends the whole 5,015-character document to one llm_query.
ScriptedLoop& ask_about_everything(ScriptedLoop& f) {
  f.sub->window_chars = 2'000;
  f.lua("answer = llm_query('Find the needle.\\n' .. context)\nprint(answer)").lua("FINAL(answer)");
  return f;
}

TEST(OversizedPrompts, AreRefusedWithTheLimitTheModelCanSplitBy) {
  ScriptedLoop f;
  ask_about_everything(f);
  f.root->script.pop_back();
  f.lua("FINAL('gave up')");
  f.run();
  EXPECT_THAT(
      f.last_message_of_request(2),
      HasSubstr(
          "llm_query failed: the prompt has 5032 characters, more than the sub model's window "
          "takes (about 2000 characters); split the text into pieces of at most "
          "2000 characters"));
  EXPECT_EQ(f.sub->requests.size(), 1U); // the refused one, and no other
}

TEST(OversizedPrompts, SplitIntoPartsThatFitWhoseAnswersComeBackJoined) {
  ScriptedLoop f;
  f.settings.split_oversized_prompts = true;
  ask_about_everything(f);
  f.sub->responder = [](const std::vector<providers::Message>& messages) {
    const auto& prompt = messages.back().content;
    return prompt.find("needle 42") != std::string::npos ? std::string("42") : "not here";
  };
  const auto result = f.run();
  // The refused prompt, then 3 parts: each under the window, each with the instruction.
  ASSERT_EQ(f.sub->requests.size(), 4U);
  std::set<std::string> labels; // the parts run in parallel, in any order
  for (std::size_t i = 1; i < 4; ++i) {
    const auto& prompt = f.sub->requests[i].back().content;
    EXPECT_LE(prompt.size(), 2'000U);
    EXPECT_THAT(prompt, HasSubstr("Find the needle.\n\n[part "));
    labels.insert(prompt.substr(prompt.find("[part"), 13));
  }
  EXPECT_EQ(labels, (std::set<std::string>{"[part 1 of 3]", "[part 2 of 3]", "[part 3 of 3]"}));
  EXPECT_EQ(result.answer,
            "[part 1 of 3]\nnot here\n\n[part 2 of 3]\nnot here\n\n[part 3 of 3]\n42");
  EXPECT_EQ(result.sub_calls, 1); // one llm_query, answered
  ASSERT_EQ(f.recorder.iterations.at(0).sub_calls.size(), 1U);
  const auto& record = f.recorder.iterations[0].sub_calls[0];
  EXPECT_EQ(record.parts, 3U);
  EXPECT_EQ(record.usage.prompt_tokens, 300); // three parts of 100 tokens each
  EXPECT_FALSE(record.error_kind);
  // Each part is a sub-call from the budget.
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("sub-calls left: 47 of 50]"));
}

TEST(OversizedPrompts, AreNotSplitPastTheSubCallBudget) {
  ScriptedLoop f;
  f.settings.split_oversized_prompts = true;
  f.settings.max_sub_calls = 2;
  ask_about_everything(f);
  f.run();
  EXPECT_THAT(
      f.last_message_of_request(2),
      HasSubstr(
          "llm_query failed: the prompt has 5032 characters, more than the sub model's window "
          "takes (about 2000 characters), and splitting it needs 3 sub-calls; 2 "
          "are left"));
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("sub-calls left: 1 of 2]"));
  EXPECT_EQ(f.sub->requests.size(), 1U);
}

TEST(OversizedPrompts, APartThatFailsFailsTheCallNamingThePart) {
  ScriptedLoop f;
  f.settings.split_oversized_prompts = true;
  ask_about_everything(f);
  // The scripted replies go to the parts in turn; the second part's server gives up.
  f.sub->script.push_back({.text = "a"});
  f.sub->script.push_back(
      {.error = providers::ProviderError{providers::ProviderError::Kind::server, "500 boom"}});
  f.sub->script.push_back({.text = "c"});
  f.settings.max_parallel_sub_calls = 1; // the parts in order, so the failure is part 2
  f.run();
  EXPECT_THAT(f.last_message_of_request(2), HasSubstr("llm_query failed: part 2 of 3: 500 boom"));
}

} // namespace
} // namespace rlm::loop
