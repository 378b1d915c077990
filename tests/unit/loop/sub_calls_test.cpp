// The sub-call budget shared by every thread of a run: it never grants more than its limit.
#include "loop/sub_calls.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace rlm::loop {
namespace {

TEST(SubCallBudget, GrantsNoMoreThanTheLimitAcrossThreads) {
  SubCallState budget;
  budget.limit = 100;
  std::atomic<std::int64_t> granted{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) granted += budget.take(3);
      });
  }
  EXPECT_EQ(granted, 100);
  EXPECT_EQ(budget.left(), 0);
}

} // namespace
} // namespace rlm::loop
