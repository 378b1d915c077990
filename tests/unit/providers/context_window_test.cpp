// Fitting requests into a server's window: the estimate, what it learns from the server's
// counts, the margin, and the refusal that tells a caller how much text fits.
#include "rlm/providers/context_window.hpp"

#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

std::vector<Message> prompt(std::size_t chars) { return {{"user", std::string(chars, 'x')}}; }

TEST(TokenEstimator, StartsAtThreeCharactersATokenPlusTheTemplate) {
  TokenEstimator e;
  EXPECT_EQ(e.estimate(prompt(3000)), 1000 + k_template_tokens_per_message + 1);
}

TEST(TokenEstimator, FollowsADenserTokenizerDownButNeverBackUp) {
  TokenEstimator e;
  e.observe(prompt(6000), 3016); // 2 characters a token: denser than assumed
  EXPECT_NEAR(e.chars_per_token(), 1.8, 0.01);
  e.observe(prompt(6000), 1516); // 4 a token: the estimate stays on the safe side
  EXPECT_NEAR(e.chars_per_token(), 1.8, 0.01);
  EXPECT_GT(e.estimate(prompt(6000)), 3016);
}

TEST(TokenEstimator, LearnsNothingFromShortOrCutPrompts) {
  TokenEstimator e;
  e.observe(prompt(100), 90);      // the chat template dominates a short prompt
  e.observe(prompt(40'000), 1028); // a server that cut the prompt says nothing of its text
  EXPECT_EQ(e.chars_per_token(), k_chars_per_estimated_token);
}

TEST(FitAnswer, ClampsMaxTokensToWhatIsLeftAfterTheMargin) {
  const auto fitted = fit_answer(100, 4096, 512, "'tiny' at x", "fix");
  ASSERT_TRUE(fitted);
  EXPECT_EQ(*fitted, 512 - 100 - 32); // a 512-token window keeps 32 spare
  EXPECT_EQ(*fit_answer(100, 64, 512, "w", "f"), 64);
}

TEST(FitAnswer, RefusesWhatCannotFitAndSaysHowManyCharactersWould) {
  const auto refused = fit_answer(9000, 4096, 8192, "'m' at x", "give it a bigger window");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ProviderError::Kind::context_overflow);
  ASSERT_TRUE(refused.error().fits_chars);
  // (8192 - 256 - 256 margin - 32 template) tokens at 3 characters, less a tenth.
  EXPECT_EQ(*refused.error().fits_chars, (8192 - 256 - 256 - 32) * 27 / 10);
  EXPECT_NE(refused.error().message.find("8,192-token window of 'm' at x"), std::string::npos);
}

TEST(LooksTruncated, FarFewerTokensThanSentIsACut) {
  EXPECT_TRUE(looks_truncated(1028, 5500)); // llama.cpp cut 4,100 tokens to 1,028
  EXPECT_FALSE(looks_truncated(4100, 5500));
  EXPECT_FALSE(looks_truncated(10, 200));                                      // too small to tell
  EXPECT_FALSE(looks_truncated(std::int64_t{1} << 62, std::int64_t{1} << 62)); // saturates
}

} // namespace
} // namespace rlm::providers
