// How a bench plan expands into tasks, before anything runs.
#include "rlm/bench/runner.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rlm::bench {
namespace {

TEST(BenchRunner, ExpandsEveryTaskWithBothMethodsSideBySide) {
  Plan plan;
  plan.suites = {"niah", "aggregate"};
  plan.lengths = {4096, 8192};
  plan.positions = {0.1, 0.5};
  plan.trials = 2;
  plan.methods = {Method::rlm, Method::vanilla};
  plan.model = "m";
  const auto tasks = expand(plan);
  // niah: 2 lengths x 2 positions x 2 trials x 2 methods; aggregate ignores positions.
  ASSERT_EQ(tasks.size(), 16U + 8U);
  EXPECT_EQ(tasks[0].key, "niah|rlm|4096|0.1|trial 0|seed 42|m");
  EXPECT_EQ(tasks[1].key, "niah|vanilla|4096|0.1|trial 0|seed 42|m");
  EXPECT_EQ(tasks[16].key, "aggregate|rlm|4096|-|trial 0|seed 42|m");
  std::set<std::string> keys;
  for (const auto& t : tasks) keys.insert(t.key);
  EXPECT_EQ(keys.size(), tasks.size());
}

} // namespace
} // namespace rlm::bench
