#include "rlm/util/suggest.hpp"

#include <gtest/gtest.h>

#include <array>

namespace rlm {
namespace {

constexpr std::array<std::string_view, 3> k_types = {"ollama", "deepseek", "openai"};

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("abc", ""), 3U);
  EXPECT_EQ(edit_distance("olama", "ollama"), 1U);
  EXPECT_EQ(edit_distance("shwo", "show"), 1U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("ROOT", "root"), 0U);
}

TEST(ClosestMatch, FindsPlausibleTypos) {
  EXPECT_EQ(closest_match("olama", k_types), "ollama");
  EXPECT_EQ(closest_match("DeepSeek", k_types), "deepseek");
  EXPECT_EQ(closest_match("opnai", k_types), "openai");
}

TEST(ClosestMatch, RefusesWordsThatAreNotTypos) {
  EXPECT_EQ(closest_match("anthropic", k_types), std::nullopt);
  EXPECT_EQ(closest_match("x", k_types), std::nullopt);
  EXPECT_EQ(closest_match("", std::span<const std::string_view>{}), std::nullopt);
}

} // namespace
} // namespace rlm
