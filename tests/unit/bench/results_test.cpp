// Results files: records survive a reread, a line cut by a crash is skipped and repaired,
// and a file that is not ours is never appended to.
#include "bench_test_support.hpp"
#include "rlm/bench/results_file.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace rlm::bench {
namespace {

using ::testing::HasSubstr;
using testing::record;

// The results file at `path`, opened; fails the test when it cannot be.
std::unique_ptr<ResultsFile> open_file(const std::string& path) {
  auto file = ResultsFile::open(path);
  EXPECT_TRUE(file) << file.error().message;
  return file ? std::move(*file) : nullptr;
}

using rlm::testing::slurp;
using rlm::testing::TempDir;

TEST(BenchResults, AppendedRecordsAreThereForTheNextRun) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  {
    const auto file = open_file(path);
    ASSERT_TRUE(file);
    EXPECT_TRUE(file->existing().empty());
    EXPECT_TRUE(file->append(record("a", Method::rlm, 4096, 1)));
    EXPECT_TRUE(file->append(record("b", Method::vanilla, 4096, 0)));
    EXPECT_TRUE(file->done("a"));
  }
  const auto again = open_file(path);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->existing().size(), 2U);
  EXPECT_EQ(again->existing()[1].method, Method::vanilla);
  EXPECT_TRUE(again->done("a"));
  EXPECT_TRUE(again->done("b"));
  EXPECT_FALSE(again->done("c"));
  EXPECT_EQ(again->bad_lines(), 0U);
}

TEST(BenchResults, AFileThisRunCreatedAndLeftEmptyIsRemoved) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  { ASSERT_TRUE(open_file(path)); }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(BenchResults, ALineCutShortByACrashIsSkippedAndTheNextRecordStartsClean) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  {
    const auto file = open_file(path);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append(record("a", Method::rlm, 4096, 1)));
  }
  {
    std::ofstream out(path, std::ios::app);
    out << R"({"type":"task","key":"b","suite":"ni)"; // killed mid-write
  }
  {
    const auto file = open_file(path);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->existing().size(), 1U);
    EXPECT_EQ(file->bad_lines(), 1U);
    EXPECT_FALSE(file->done("b"));
    ASSERT_TRUE(file->append(record("b", Method::rlm, 4096, 1)));
  }
  const auto read = read_results(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->records.size(), 2U);
  EXPECT_EQ(read->bad_lines, 1U);
  EXPECT_TRUE(slurp(path).ends_with("}\n"));
}

TEST(BenchResults, AFileWhoseOnlyLineWasCutShortIsStillOurs) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  { std::ofstream(path) << R"({"answer":"x","cost":null,"type":"task","ke)"; }
  const auto file = open_file(path);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->bad_lines(), 1U);
  ASSERT_TRUE(file->append(record("a", Method::rlm, 4096, 1)));
  EXPECT_EQ(read_results(path)->records.size(), 1U);
}

TEST(BenchResults, ASecondRunOnTheSameFileIsRefused) {
  TempDir dir;
  const auto path = dir.file("r.jsonl");
  const auto first = open_file(path);
  ASSERT_TRUE(first);
  const auto second = ResultsFile::open(path);
  ASSERT_FALSE(second) << "two runs appended to one file";
  EXPECT_EQ(second.error().kind, ErrorKind::usage);
  EXPECT_THAT(second.error().message, HasSubstr("another rlm bench is writing"));
  EXPECT_EQ(second.error().hint, "wait for it to finish, or give this run its own --out");
}

TEST(BenchResults, AFileThatIsNotOursIsNeverAppendedTo) {
  TempDir dir;
  const auto path = dir.file("notes.txt");
  { std::ofstream(path) << "my notes\nplease keep\n"; }
  const auto file = ResultsFile::open(path);
  ASSERT_FALSE(file) << "opened a file that is not a results file";
  EXPECT_EQ(file.error().kind, ErrorKind::input);
  EXPECT_EQ(file.error().message, dir.file("notes.txt") + " is not an rlm bench results file "
                                                          "(none of its 2 lines is a task record)");
  EXPECT_EQ(slurp(path), "my notes\nplease keep\n");
  const auto directory = ResultsFile::open(dir.path);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().kind, ErrorKind::input);
  EXPECT_THAT(directory.error().message, HasSubstr("is not a regular file"));
  const auto missing = read_results(dir.file("missing.jsonl"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::input);
  EXPECT_EQ(missing.error().message, "no results file " + dir.file("missing.jsonl"));
}

TEST(BenchResults, AnUnwritableDirectoryIsAnOutputError) {
  const auto file = ResultsFile::open("/proc/no-such-dir/r.jsonl");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().kind, ErrorKind::output);
  EXPECT_THAT(file.error().message, HasSubstr("cannot write the results file"));
}

} // namespace
} // namespace rlm::bench
