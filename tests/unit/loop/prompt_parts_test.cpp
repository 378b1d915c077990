// Cutting a sub-call prompt over the sub model's window into parts that each fit.
#include "loop/prompt_parts.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::loop {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string numbered_lines(int n) {
  std::string text;
  for (int i = 1; i <= n; ++i) text += "line " + std::to_string(i) + " of the log\n";
  return text;
}

// What follows each part's label: its share of the text.
std::string text_of(const std::string& part) { return part.substr(part.find("]\n") + 2); }

TEST(PromptParts, APromptThatFitsIsNotSplit) {
  EXPECT_FALSE(split_prompt("Summarise:\nshort", 1'000));
}

TEST(PromptParts, EveryPartFitsRepeatsTheInstructionAndIsLabelled) {
  const auto body = numbered_lines(400); // about 8 KB
  const auto prompt = "Count the errors in this log.\n" + body;
  const auto parts = split_prompt(prompt, 2'000);
  ASSERT_TRUE(parts);
  ASSERT_GE(parts->size(), 4U);
  std::string joined;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    const auto& part = (*parts)[i];
    EXPECT_LE(part.size(), 2'000U);
    EXPECT_THAT(part, StartsWith("Count the errors in this log.\n\n[part " + std::to_string(i + 1) +
                                 " of " + std::to_string(parts->size()) + "]\n"));
    joined += text_of(part);
  }
  EXPECT_EQ(joined, body); // nothing lost, nothing repeated
}

TEST(PromptParts, PartsEndAtLineBreaks) {
  const auto parts = split_prompt("Summarise:\n" + numbered_lines(400), 2'000);
  ASSERT_TRUE(parts);
  for (std::size_t i = 0; i + 1 < parts->size(); ++i) EXPECT_EQ((*parts)[i].back(), '\n');
}

TEST(PromptParts, ALongFirstLineIsTextNotAnInstruction) {
  const std::string prompt = std::string(3'000, 'a') + "\n" + std::string(3'000, 'b');
  const auto parts = split_prompt(prompt, 2'000);
  ASSERT_TRUE(parts);
  EXPECT_THAT((*parts)[0], StartsWith("[part 1 of "));
  std::string joined;
  for (const auto& part : *parts) joined += text_of(part);
  EXPECT_EQ(joined, prompt);
}

TEST(PromptParts, TextWithoutBreaksIsNeverCutInsideAUtf8Character) {
  std::string prompt = "Translate:\n";
  for (int i = 0; i < 3'000; ++i) prompt += "\xC3\xA9"; // é, two bytes, no spaces
  const auto parts = split_prompt(prompt, 1'001);
  ASSERT_TRUE(parts);
  for (const auto& part : *parts) {
    const auto text = text_of(part);
    EXPECT_NE(static_cast<unsigned char>(text.front()) & 0xC0, 0x80) << "starts mid-character";
    EXPECT_EQ(text.size() % 2, 0U);
  }
}

TEST(PromptParts, AWindowTooSmallForAUsefulPartRefusesToSplit) {
  EXPECT_FALSE(split_prompt("Summarise:\n" + std::string(5'000, 'x'), 100));
}

TEST(PromptParts, AnswersAreJoinedInOrderUnderTheirLabels) {
  EXPECT_EQ(join_part_answers({"3 errors", "none", "1 error"}),
            "[part 1 of 3]\n3 errors\n\n[part 2 of 3]\nnone\n\n[part 3 of 3]\n1 error");
}

} // namespace
} // namespace rlm::loop
