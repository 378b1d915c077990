// Results files: records survive a reread, a line cut by a crash is skipped and repaired,
// and a file that is not ours is never appended to.
#include "rlm/bench/results_file.hpp"
#include "rlm/bench/summary.hpp"
#include "rlm/util/fatal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlm::bench {
namespace {

using ::testing::HasSubstr;

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/rlm-results-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TaskRecord record(const std::string& key, const std::string& method, std::int64_t length,
                  double score) {
  TaskRecord r;
  r.key = key;
  r.suite = "niah";
  r.method = method;
  r.length_tokens = length;
  r.position = 0.5;
  r.score = score;
  r.root = {2, 1000, 100, 50};
  r.sub = {3, 3000, 0, 30};
  r.seconds = 2;
  r.label = "scripted";
  r.model = "m";
  return r;
}

TEST(BenchResults, RecordsRoundTripThroughJson) {
  auto r = record("k1", "rlm", 4096, 0.75);
  r.cost = 0.0125;
  r.answer = "amber-1234\nwith \"quotes\"";
  const auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, "k1");
  EXPECT_EQ(back->answer, r.answer);
  EXPECT_EQ(back->position, 0.5);
  EXPECT_EQ(back->root.prompt, 1000);
  EXPECT_EQ(back->sub.calls, 3);
  EXPECT_EQ(back->cost, 0.0125);
  r.position.reset();
  EXPECT_FALSE(record_from_json(to_json(r))->position);
}

TEST(BenchResults, StrangeLinesAreNotRecords) {
  using nlohmann::json;
  EXPECT_FALSE(record_from_json(json::parse("[1,2]")));
  EXPECT_FALSE(record_from_json(json{{"type", "task"}, {"key", 5}}));
  auto j = to_json(record("k", "rlm", 4096, 1));
  j["score"] = 7; // out of range
  EXPECT_FALSE(record_from_json(j));
  j["score"] = "high";
  EXPECT_FALSE(record_from_json(j));
}

TEST(BenchResults, AppendedRecordsAreThereForTheNextRun) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  {
    ResultsFile file(path);
    EXPECT_TRUE(file.existing().empty());
    file.append(record("a", "rlm", 4096, 1));
    file.append(record("b", "vanilla", 4096, 0));
    EXPECT_TRUE(file.done("a"));
  }
  ResultsFile again(path);
  ASSERT_EQ(again.existing().size(), 2U);
  EXPECT_TRUE(again.done("a"));
  EXPECT_TRUE(again.done("b"));
  EXPECT_FALSE(again.done("c"));
  EXPECT_EQ(again.bad_lines(), 0U);
}

TEST(BenchResults, ALineCutShortByACrashIsSkippedAndTheNextRecordStartsClean) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  {
    ResultsFile file(path);
    file.append(record("a", "rlm", 4096, 1));
  }
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"type":"task","key":"b","suite":"ni)"; // killed mid-write
  }
  {
    ResultsFile file(path);
    EXPECT_EQ(file.existing().size(), 1U);
    EXPECT_EQ(file.bad_lines(), 1U);
    EXPECT_FALSE(file.done("b"));
    file.append(record("b", "rlm", 4096, 1));
  }
  const auto read = read_results(path);
  EXPECT_EQ(read.records.size(), 2U);
  EXPECT_EQ(read.bad_lines, 1U);
  EXPECT_TRUE(slurp(path).ends_with("}\n"));
}

TEST(BenchResults, AFileWhoseOnlyLineWasCutShortIsStillOurs) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  { std::ofstream(path) << R"({"answer":"x","cost":null,"type":"task","ke)"; }
  ResultsFile file(path);
  EXPECT_EQ(file.bad_lines(), 1U);
  file.append(record("a", "rlm", 4096, 1));
  EXPECT_EQ(read_results(path).records.size(), 1U);
}

TEST(BenchResults, ASecondRunOnTheSameFileIsRefused) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  ResultsFile first(path);
  try {
    ResultsFile second(path);
    FAIL() << "two runs appended to one file";
  } catch (const Fatal& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_THAT(e.what(), HasSubstr("another rlm bench is writing"));
  }
}

TEST(BenchResults, CraftedFieldsNeverThrowOrOverflow) {
  using nlohmann::json;
  EXPECT_FALSE(record_from_json(json{{"type", 1}}));
  auto j = to_json(record("k", "rlm", 4096, 1));
  j["tokens"]["root"]["prompt"] = INT64_MAX;
  EXPECT_FALSE(record_from_json(j));
  j = to_json(record("k", "rlm", 4096, 1));
  j["length_tokens"] = 1e300;
  EXPECT_FALSE(record_from_json(j));
  j = to_json(record("k", "rlm", 4096, 1));
  j["trial"] = 1e300; // not a whole number: read as 0
  ASSERT_TRUE(record_from_json(j));
  EXPECT_EQ(record_from_json(j)->trial, 0);
}

TEST(BenchResults, AFileThatIsNotOursIsNeverAppendedTo) {
  TempDir dir;
  const auto path = dir.file("notes.txt");
  { std::ofstream(path) << "my notes\nplease keep\n"; }
  try {
    ResultsFile file(path);
    FAIL() << "opened a file that is not a results file";
  } catch (const Fatal& e) {
    EXPECT_EQ(e.code(), ExitCode::input);
    EXPECT_THAT(e.what(), HasSubstr("is not an rlm bench results file"));
  }
  EXPECT_EQ(slurp(path), "my notes\nplease keep\n");
  EXPECT_THROW(ResultsFile{dir.path}, Fatal); // a directory
  EXPECT_THROW(read_results(dir.file("missing.jsonl")), Fatal);
}

TEST(BenchResults, AnUnwritableDirectoryIsAnOutputError) {
  try {
    ResultsFile file("/proc/no-such-dir/r.jsonl");
    FAIL();
  } catch (const Fatal& e) {
    EXPECT_EQ(e.code(), ExitCode::output);
  }
}

TEST(BenchSummary, GroupsBySuiteMethodAndLengthWithTheLastRecordOfEachKey) {
  std::vector<TaskRecord> records = {
      record("a", "vanilla", 8192, 0), record("b", "rlm", 8192, 1), record("c", "rlm", 8192, 0),
      record("c", "rlm", 8192, 1), // a rerun of c: replaces the first
      record("d", "rlm", 4096, 0.5)};
  records[0].status = "truncated";
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
  auto big = record("big", "rlm", 4096, 1);
  big.model = "big";
  auto small = record("small", "rlm", 4096, 0);
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
  auto r = record("a", "rlm", 4096, 1);
  r.label = "\x1b[2Jgotcha";
  r.suite = "x\x1b]0;title\x07";
  const auto table = render_table(summarize({r}));
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
}

} // namespace
} // namespace rlm::bench
