// The prompt's numbers are the run's limits: rendered here from settings, and compared with
// what the sandbox and the providers enforce.
#include "loop/system_prompt.hpp"

#include "rlm/providers/context_window.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using config::PromptStyle;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

const Prompts& builtin() {
  static const Prompts prompts = load_prompts("").value();
  return prompts;
}

TEST(SystemPrompt, StatesTheRunsExactNumbers) {
  const PromptNumbers numbers{.max_iterations = 12,
                              .sub_calls = 34,
                              .output_chars = 20000,
                              .sub_prompt_chars = 23'456,
                              .root_window_tokens = 131'072,
                              .budgets = ""};
  const auto text = system_prompt(builtin(), PromptStyle::automatic, numbers);
  EXPECT_THAT(text, HasSubstr("Budget: 12 turns and 34 sub-calls in all."));
  EXPECT_THAT(text, HasSubstr("at most 20,000 characters a turn"));
  EXPECT_THAT(text, HasSubstr("(at most 23,456 characters: what the sub model's window takes)"));
  EXPECT_THAT(text, HasSubstr("chunk(context, 22000)")); // an example that fits
  EXPECT_THAT(text, Not(HasSubstr("{{")));
}

TEST(SystemPrompt, WithoutAKnownSubWindowItSaysAboutAHundredThousand) {
  const auto text = system_prompt(builtin(), PromptStyle::full, {});
  EXPECT_THAT(text, HasSubstr("up to about 100,000 characters"));
  EXPECT_THAT(text, HasSubstr("chunk(context, 80000)"));
}

TEST(SystemPrompt, SmallRootWindowsGetTheCompactPromptUnderAuto) {
  const auto window = [](std::int64_t tokens) {
    return PromptNumbers{.max_iterations = 20,
                         .sub_calls = 50,
                         .output_chars = 20000,
                         .sub_prompt_chars = std::nullopt,
                         .root_window_tokens = tokens,
                         .budgets = ""};
  };
  const auto small = window(32 * 1024);
  const auto large = window(32 * 1024 + 1);
  const auto compact = system_prompt(builtin(), PromptStyle::automatic, small);
  EXPECT_THAT(compact, HasSubstr("Example 2, map-reduce over chunks"));
  EXPECT_THAT(compact, Not(HasSubstr("{{")));
  EXPECT_LT(compact.size(), system_prompt(builtin(), PromptStyle::automatic, large).size() * 2 / 3);
  EXPECT_THAT(system_prompt(builtin(), PromptStyle::automatic, large),
              Not(HasSubstr("Example 2, map-reduce")));
  // An unknown window keeps the full prompt; a style names one whatever the window.
  EXPECT_THAT(system_prompt(builtin(), PromptStyle::automatic, {}),
              Not(HasSubstr("Example 2, map-reduce")));
  EXPECT_THAT(system_prompt(builtin(), PromptStyle::compact, large), HasSubstr("Example 2"));
  EXPECT_THAT(system_prompt(builtin(), PromptStyle::full, small), Not(HasSubstr("Example 2")));
}

TEST(SystemPrompt, TheStatedSubPromptLimitFitsTheWindowTheProviderEnforces) {
  // The window check refuses a prompt only when less than k_min_answer_tokens would be left;
  // the stated limit leaves a full answer, so a prompt of that size is always sent.
  for (const std::int64_t window : {4096, 8192, 32768, 131072}) {
    const auto chars = providers::prompt_room_chars(window, 4096, 3.0);
    const auto tokens = chars / 3 + providers::k_template_tokens_per_message;
    EXPECT_TRUE(providers::fit_answer(tokens, 4096, window, "m", "f").has_value()) << window;
    EXPECT_GT(chars, window); // and it is not uselessly small: over a character a token
  }
}

TEST(SystemPrompt, ExampleChunksFitTheSubPromptLimit) {
  EXPECT_EQ(example_chunk_chars(5'500), 4'000);
  EXPECT_EQ(example_chunk_chars(1'200), 1'000);
  EXPECT_EQ(example_chunk_chars(std::nullopt), 80'000);
  EXPECT_EQ(example_chunk_chars(10'000'000), 80'000);
}

TEST(SystemPrompt, ListsTheUsersToolsAfterRlmsOwnWithTheirComments) {
  const std::vector<lua::ToolFile> tools = {
      {"/home/ann/lib/dates.lua", "-- iso_date(s): a date as YYYY-MM-DD\n-- count_dates()\nx = 1"},
      {"plain.lua", "function plain() end"}};
  for (const auto style : {PromptStyle::full, PromptStyle::compact}) {
    const auto text = system_prompt(builtin(), style, {}, tools);
    EXPECT_THAT(text, AnyOf(HasSubstr("ends the run with the answer\n- The user's"),
                            HasSubstr("variable `name`.\n- The user's")));
    EXPECT_THAT(text, HasSubstr("\n- The user's own tools, already loaded (call them like the "
                                "ones above):\n  - dates.lua:\n    iso_date(s): a date as "
                                "YYYY-MM-DD\n    count_dates()\n  - plain.lua: (no "
                                "description)\n"));
    EXPECT_THAT(text, Not(HasSubstr("/home/ann"))); // the name, never the path
    EXPECT_THAT(text, Not(HasSubstr("{{")));
  }
  // Without tools the placeholder leaves nothing, not even a blank line.
  const auto without = system_prompt(builtin(), PromptStyle::full, {});
  EXPECT_THAT(without, HasSubstr("variable `name`.\n\nLua is not Python"));
}

TEST(SystemPrompt, ToolDescriptionsAreCutAtTheirLimitSayingSo) {
  std::vector<lua::ToolFile> tools;
  for (int i = 0; i < 40; ++i) {
    tools.push_back({"t" + std::to_string(i) + ".lua", "-- " + std::string(100, 'd') + "\n"});
  }
  const auto text = user_tools_text(tools);
  EXPECT_LT(text.size(), k_max_user_tools_chars + 200);
  EXPECT_THAT(text, HasSubstr("more characters]"));
  EXPECT_THAT(text, HasSubstr("- t0.lua:"));
  EXPECT_THAT(text, Not(HasSubstr("- t39.lua:")));
  EXPECT_EQ(user_tools_text({}), "");
}

} // namespace
} // namespace rlm::loop
