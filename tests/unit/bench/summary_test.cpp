// The summary: records grouped by suite, method, model and length, with the means the table
// and chart show; the last record of a key wins.
#include "bench_test_support.hpp"
#include "rlm/bench/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rlm::bench {
namespace {

using ::testing::HasSubstr;
using testing::record;

TEST(BenchSummary, GroupsBySuiteMethodAndLengthWithTheLastRecordOfEachKey) {
  std::vector<TaskRecord> records = {
      record("a", Method::vanilla, 8192, 0), record("b", Method::rlm, 8192, 1),
      record("c", Method::rlm, 8192, 0),
      record("c", Method::rlm, 8192, 1), // a rerun of c: replaces the first
      record("d", Method::rlm, 4096, 0.5)};
  records[0].status = Status::truncated;
  records[4].cost = 0.5;
  const auto summary = summarize(records);
  ASSERT_EQ(summary.rows.size(), 3U);
  EXPECT_EQ(summary.labels, std::vector<std::string>{"scripted"});
  const auto& r4k = summary.rows[0];
  EXPECT_EQ(r4k.method, "rlm");
  EXPECT_EQ(r4k.length_tokens, 4096);
  EXPECT_EQ(r4k.mean_cost, 0.5);
  const auto& r8k = summary.rows[1];
  EXPECT_EQ(r8k.method, "rlm");
  EXPECT_EQ(r8k.tasks, 2);
  EXPECT_EQ(r8k.accuracy, 1.0);
  EXPECT_EQ(r8k.mean_root_tokens, 1050);
  EXPECT_EQ(r8k.mean_sub_tokens, 3030);
  const auto& v8k = summary.rows[2];
  EXPECT_EQ(v8k.method, "vanilla");
  EXPECT_EQ(v8k.truncated, 1);
  EXPECT_FALSE(v8k.mean_cost);

  const auto table = render_table(summary);
  EXPECT_THAT(table, HasSubstr("label: scripted"));
  EXPECT_THAT(table, HasSubstr("niah"));
  EXPECT_THAT(table, HasSubstr("    8k  rlm"));
  EXPECT_THAT(table, HasSubstr("100.0%"));
  EXPECT_EQ(render_table(summarize({})), "no finished tasks\n");
}

TEST(BenchSummary, SeveralModelsAreKeptApartNeverAveraged) {
  auto big = record("big", Method::rlm, 4096, 1);
  big.model = "big";
  auto small = record("small", Method::rlm, 4096, 0);
  small.model = "small";
  const auto summary = summarize({big, small});
  ASSERT_EQ(summary.rows.size(), 2U);
  EXPECT_EQ(summary.rows[0].method, "rlm (big)");
  EXPECT_EQ(summary.rows[0].accuracy, 1.0);
  EXPECT_EQ(summary.rows[1].method, "rlm (small)");
  EXPECT_EQ(summary.rows[1].accuracy, 0.0);
  EXPECT_THAT(render_table(summary), HasSubstr("rlm (small)"));
}

TEST(BenchSummary, TextFromStrangersIsShownEscaped) {
  auto r = record("a", Method::rlm, 4096, 1);
  r.label = "\x1b[2Jgotcha";
  r.suite = "x\x1b]0;title\x07";
  const auto table = render_table(summarize({r}));
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
}

TEST(BenchSummary, SuitesComeInTheirDocumentedOrderAndRlmBeforeVanilla) {
  auto other = record("o", Method::rlm, 4096, 1);
  other.suite = "zzz-unknown";
  auto multihop = record("mh", Method::vanilla, 4096, 1);
  multihop.suite = "multihop";
  auto multifact = record("mf", Method::rlm, 4096, 1);
  multifact.suite = "multifact";
  const auto summary = summarize({other, multihop, record("nv", Method::vanilla, 4096, 1),
                                  multifact, record("nr", Method::rlm, 4096, 1)});
  std::vector<std::string> order;
  for (const auto& row : summary.rows) order.push_back(row.suite + " " + row.method);
  EXPECT_EQ(order, (std::vector<std::string>{"niah rlm", "niah vanilla", "multifact rlm",
                                             "multihop vanilla", "zzz-unknown rlm"}));
}

TEST(BenchSummary, TruncatedAndFailedTasksAreCountedApartAndMeansAreOverAllTasks) {
  auto truncated = record("t", Method::rlm, 4096, 0);
  truncated.status = Status::truncated;
  auto failed = record("e", Method::rlm, 4096, 0);
  failed.status = Status::error;
  failed.seconds = 8;
  auto priced = record("p", Method::rlm, 4096, 1);
  priced.cost = 0.25;
  const auto summary = summarize({truncated, failed, priced, record("ok", Method::rlm, 4096, 1)});
  ASSERT_EQ(summary.rows.size(), 1U);
  const auto& row = summary.rows[0];
  EXPECT_EQ(row.tasks, 4);
  EXPECT_EQ(row.truncated, 1);
  EXPECT_EQ(row.errors, 1);
  EXPECT_DOUBLE_EQ(row.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(row.mean_seconds, (2 + 8 + 2 + 2) / 4.0);
  EXPECT_EQ(row.mean_cost, 0.25); // the mean of the priced tasks only
}

TEST(BenchSummary, TheTableOfOneRowIsExact) {
  auto r = record("a", Method::vanilla, 16384, 0.5);
  r.label.clear();
  const auto table = render_table(summarize({r}));
  EXPECT_EQ(table, "model: m\n"
                   "\n"
                   "niah\n"
                   " length  method   tasks  accuracy truncated errors   root tok    sub tok  "
                   "seconds\n"
                   "    16k  vanilla      1     50.0%         0      0       1.1k       3.0k      "
                   "2.0\n"
                   "\n"
                   "tokens, seconds and cost are means per task; accuracy is the mean score "
                   "(0-100%)\n");
}

} // namespace
} // namespace rlm::bench
