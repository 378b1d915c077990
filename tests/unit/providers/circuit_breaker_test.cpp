// The circuit breaker's states and transitions. It takes the time as an argument, so each
// test says the moment every call happens at.
#include "rlm/providers/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rlm::providers {
namespace {

using State = CircuitBreaker::State;

constexpr double k_t0 = 1000.0;

// A breaker opened at `k_t0` by `settings.failure_threshold` failures in a row.
CircuitBreaker opened(BreakerSettings settings = {}) {
  CircuitBreaker breaker(settings);
  for (int i = 0; i < settings.failure_threshold; ++i) breaker.on_failure(k_t0, false);
  return breaker;
}

// A breaker whose first cooldown has ended, with its trial request sent at `now`.
CircuitBreaker trial_in_flight(double now) {
  auto breaker = opened();
  EXPECT_TRUE(breaker.on_send(now));
  return breaker;
}

TEST(CircuitBreaker, StartsClosedAndLetsEveryRequestThrough) {
  CircuitBreaker breaker;
  EXPECT_EQ(breaker.state(k_t0), State::closed);
  EXPECT_TRUE(breaker.allows(k_t0));
  EXPECT_TRUE(breaker.may_recover(k_t0));
  EXPECT_FALSE(breaker.on_send(k_t0)); // a request through a closed circuit is no trial
  EXPECT_TRUE(breaker.allows(k_t0));
}

TEST(CircuitBreaker, FailuresBelowTheThresholdKeepItClosed) {
  CircuitBreaker breaker;
  breaker.on_failure(k_t0, false);
  breaker.on_failure(k_t0, false);
  EXPECT_EQ(breaker.state(k_t0), State::closed);
  EXPECT_TRUE(breaker.allows(k_t0));
}

TEST(CircuitBreaker, TheThirdFailureInARowOpensItForTheCooldown) {
  const auto breaker = opened();
  EXPECT_EQ(breaker.state(k_t0), State::open);
  EXPECT_FALSE(breaker.allows(k_t0 + 9.9));
  EXPECT_FALSE(breaker.may_recover(k_t0 + 9.9));
  EXPECT_DOUBLE_EQ(breaker.open_until(), k_t0 + 10.0);
}

TEST(CircuitBreaker, ASuccessStartsTheCountOfFailuresAgain) {
  CircuitBreaker breaker;
  breaker.on_failure(k_t0, false);
  breaker.on_failure(k_t0, false);
  breaker.on_success();
  breaker.on_failure(k_t0, false);
  breaker.on_failure(k_t0, false);
  EXPECT_EQ(breaker.state(k_t0), State::closed);
}

TEST(CircuitBreaker, AThresholdOfOneOpensOnTheFirstFailure) {
  CircuitBreaker breaker(BreakerSettings{.failure_threshold = 1});
  breaker.on_failure(k_t0, false);
  EXPECT_EQ(breaker.state(k_t0), State::open);
}

TEST(CircuitBreaker, WhenTheCooldownEndsItIsHalfOpenAndAllowsOneTrial) {
  auto breaker = opened();
  const double end = breaker.open_until();
  EXPECT_EQ(breaker.state(end - 0.001), State::open);
  EXPECT_EQ(breaker.state(end), State::half_open);
  EXPECT_TRUE(breaker.allows(end));
  EXPECT_TRUE(breaker.on_send(end));
  EXPECT_FALSE(breaker.allows(end)); // no second request while the trial is out
  EXPECT_TRUE(breaker.may_recover(end));
}

TEST(CircuitBreaker, ATrialThatSucceedsClosesItAndResetsTheCooldown) {
  auto breaker = trial_in_flight(k_t0 + 10);
  breaker.on_success();
  EXPECT_EQ(breaker.state(k_t0 + 10), State::closed);
  EXPECT_TRUE(breaker.allows(k_t0 + 10));
  for (int i = 0; i < 3; ++i) breaker.on_failure(k_t0 + 20, false);
  EXPECT_DOUBLE_EQ(breaker.open_until(), k_t0 + 30); // the first cooldown again, not doubled
}

TEST(CircuitBreaker, ATrialThatFailsReopensItAtOnceForTwiceAsLong) {
  auto breaker = trial_in_flight(k_t0 + 10);
  breaker.on_failure(k_t0 + 11, true);
  EXPECT_EQ(breaker.state(k_t0 + 11), State::open);
  EXPECT_DOUBLE_EQ(breaker.open_until(), k_t0 + 11 + 20);
}

TEST(CircuitBreaker, TheCooldownDoublesUpToItsCap) {
  auto breaker =
      opened({.failure_threshold = 3, .cooldown_seconds = 10, .max_cooldown_seconds = 25});
  double now = breaker.open_until();
  std::vector<double> cooldowns;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.on_send(now));
    breaker.on_failure(now, true);
    cooldowns.push_back(breaker.open_until() - now);
    now = breaker.open_until();
  }
  EXPECT_EQ(cooldowns, (std::vector<double>{20, 25, 25}));
}

TEST(CircuitBreaker, AStragglersFailureWhileOpenChangesNothing) {
  auto breaker = opened();
  breaker.on_failure(k_t0 + 5, false);
  EXPECT_DOUBLE_EQ(breaker.open_until(), k_t0 + 10);
  EXPECT_EQ(breaker.state(k_t0 + 10), State::half_open);
}

TEST(CircuitBreaker, AStragglersFailureDuringTheTrialNeitherEndsNorFailsIt) {
  auto breaker = trial_in_flight(k_t0 + 10);
  breaker.on_failure(k_t0 + 10, false);
  EXPECT_EQ(breaker.state(k_t0 + 10), State::half_open);
  EXPECT_FALSE(breaker.allows(k_t0 + 10)); // the trial is still out
  breaker.on_success();
  EXPECT_EQ(breaker.state(k_t0 + 10), State::closed);
}

TEST(CircuitBreaker, AnAbandonedTrialFreesTheTrialSlotOnly) {
  auto breaker = trial_in_flight(k_t0 + 10);
  breaker.on_abandon(false); // an ordinary request's end frees nothing
  EXPECT_FALSE(breaker.allows(k_t0 + 10));
  breaker.on_abandon(true);
  EXPECT_EQ(breaker.state(k_t0 + 10), State::half_open);
  EXPECT_TRUE(breaker.allows(k_t0 + 10));
}

TEST(CircuitBreaker, DisabledIsForTheRestOfTheRunWithItsReason) {
  CircuitBreaker breaker;
  breaker.disable("the server rejected the API key");
  breaker.on_success();
  EXPECT_EQ(breaker.state(k_t0 + 1e6), State::disabled);
  EXPECT_FALSE(breaker.allows(k_t0 + 1e6));
  EXPECT_FALSE(breaker.may_recover(k_t0 + 1e6));
  EXPECT_FALSE(breaker.on_send(k_t0 + 1e6));
  EXPECT_EQ(breaker.disabled_reason(), "the server rejected the API key");
}

} // namespace
} // namespace rlm::providers
