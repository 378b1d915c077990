// The backoff between retries. The retries themselves are tested with the pool (pool_test.cpp).
#include "rlm/providers/retry.hpp"

#include <gtest/gtest.h>

namespace rlm::providers {
namespace {

TEST(Backoff, DoublesFromHalfASecondUpToEightWithJitter) {
  const RetryPolicy policy;
  EXPECT_DOUBLE_EQ(backoff_seconds(0, std::nullopt, policy, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(backoff_seconds(2, std::nullopt, policy, 0.0), 2.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(10, std::nullopt, policy, 0.0), 8.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(0, std::nullopt, policy, 1.0), 0.375);
}

TEST(Backoff, RetryAfterWinsButIsCapped) {
  RetryPolicy policy;
  policy.max_delay_seconds = 10;
  EXPECT_DOUBLE_EQ(backoff_seconds(0, 3.0, policy, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(0, 3600.0, policy, 0.5), 10.0);
}

} // namespace
} // namespace rlm::providers
