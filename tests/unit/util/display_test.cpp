#include "rlm/util/display.hpp"

#include <gtest/gtest.h>

namespace rlm {
namespace {

TEST(LooksLikeSecret, KnownKeyPrefixes) {
  EXPECT_TRUE(looks_like_secret("sk-0123456789abcdef"));
  EXPECT_TRUE(looks_like_secret("ghp_abcdefgh12345678"));
  EXPECT_TRUE(looks_like_secret("AKIAIOSFODNN7EXAMPLE"));
  EXPECT_TRUE(looks_like_secret("hf_abcdefgh1234"));
}

TEST(LooksLikeSecret, LongRandomTokens) {
  EXPECT_TRUE(looks_like_secret("a1b2c3d4e5f6a7b8c9d0e1f2a3b4"));
  EXPECT_FALSE(looks_like_secret("a long sentence with 2 words and spaces"));
}

TEST(LooksLikeSecret, OrdinaryValuesAreNot) {
  EXPECT_FALSE(looks_like_secret("ollama"));
  EXPECT_FALSE(looks_like_secret("qwen2.5-coder:14b"));
  EXPECT_FALSE(looks_like_secret("DEEPSEEK_API_KEY"));
  EXPECT_FALSE(looks_like_secret("sk-"));
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("a\nb\tc\x1b[2J\x7f"), "a\\nb\\tc\\x1b[2J\\x7f");
}

TEST(Printable, CutsLongText) {
  EXPECT_EQ(printable(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(printable("short", 10), "short");
}

TEST(QuotedForDisplay, HidesSecretsQuotesTheRest) {
  EXPECT_EQ(quoted_for_display("olama"), "\"olama\"");
  EXPECT_EQ(quoted_for_display("sk-0123456789abcdef"), "(value hidden)");
}

} // namespace
} // namespace rlm
