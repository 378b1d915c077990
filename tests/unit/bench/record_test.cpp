// A task record as one JSON line of a results file: what is written reads back the same,
// a line the previous version wrote still loads, and anything else is refused with a reason.
#include "bench_test_support.hpp"
#include "rlm/bench/record.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>

namespace rlm::bench {
namespace {

using nlohmann::json;
using testing::record;

// A line as rlm bench wrote it before methods and statuses were enums (the output of the
// previous version's to_json for written_record(); keys sorted, as nlohmann::json dumps them).
constexpr const char* k_written_line =
    R"({"answer":"amber-1234","cost":0.0125,"document_chars":16384,"error":"cut",)"
    R"("expected":"amber-1234","finished_at":"2026-12-01T10:00:00Z","iterations":3,)"
    R"("key":"niah|vanilla|4096|0.5|trial 0|seed 42|m","label":"scripted",)"
    R"("length_tokens":4096,"method":"vanilla","model":"m","position":0.5,)"
    R"("query":"What is it?","score":0.75,"scorer":"contains","seconds":2.0,"seed":42,)"
    R"("status":"truncated","stop":"final_answer","sub_calls":4,"suite":"niah",)"
    R"("tokens":{"root":{"cached":100,"calls":2,"completion":50,"prompt":1000},)"
    R"("sub":{"cached":0,"calls":3,"completion":30,"prompt":3000}},"trial":0,"type":"task"})";

TaskRecord written_record() {
  auto r = record("niah|vanilla|4096|0.5|trial 0|seed 42|m", Method::vanilla, 4096, 0.75);
  r.seed = 42;
  r.document_chars = 16384;
  r.query = "What is it?";
  r.expected = "amber-1234";
  r.answer = "amber-1234";
  r.scorer = "contains";
  r.status = Status::truncated;
  r.error = "cut";
  r.stop = "final_answer";
  r.iterations = 3;
  r.sub_calls = 4;
  r.cost = 0.0125;
  r.finished_at = "2026-12-01T10:00:00Z";
  return r;
}

std::string reason(const Result<TaskRecord>& r) { return r ? "a record" : r.error().message; }

TEST(BenchRecord, IsWrittenByteForByteAsThePreviousVersionWroteIt) {
  EXPECT_EQ(to_json(written_record()).dump(), k_written_line);
}

TEST(BenchRecord, ALineThePreviousVersionWroteLoadsWithEveryField) {
  const auto back = record_from_json(json::parse(k_written_line));
  ASSERT_TRUE(back) << back.error().message;
  const auto want = written_record();
  EXPECT_EQ(back->key, want.key);
  EXPECT_EQ(back->method, Method::vanilla);
  EXPECT_EQ(back->status, Status::truncated);
  EXPECT_EQ(back->position, 0.5);
  EXPECT_EQ(back->score, 0.75);
  EXPECT_EQ(back->root.cached, 100);
  EXPECT_EQ(back->sub.prompt, 3000);
  EXPECT_EQ(back->cost, 0.0125);
  EXPECT_EQ(back->finished_at, want.finished_at);
  EXPECT_EQ(to_json(*back).dump(), k_written_line); // and writes back unchanged
}

TEST(BenchRecord, RecordsRoundTripThroughJson) {
  auto r = record("k1", Method::rlm, 4096, 0.75);
  r.cost = 0.0125;
  r.answer = "amber-1234\nwith \"quotes\"";
  r.status = Status::error;
  const auto back = record_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->key, "k1");
  EXPECT_EQ(back->method, Method::rlm);
  EXPECT_EQ(back->status, Status::error);
  EXPECT_EQ(back->answer, r.answer);
  EXPECT_EQ(back->position, 0.5);
  EXPECT_EQ(back->root.prompt, 1000);
  EXPECT_EQ(back->sub.calls, 3);
  EXPECT_EQ(back->cost, 0.0125);
  r.position.reset();
  EXPECT_FALSE(record_from_json(to_json(r))->position);
}

TEST(BenchRecord, ALineWithoutAStatusIsOk) {
  auto j = to_json(record("k", Method::rlm, 4096, 1));
  j.erase("status");
  const auto back = record_from_json(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->status, Status::ok);
}

TEST(BenchRecord, AnUnknownMethodIsRefusedWithTheReason) {
  auto j = to_json(record("k", Method::rlm, 4096, 1));
  j["method"] = "stuffing";
  const auto back = record_from_json(j);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().kind, ErrorKind::input);
  EXPECT_EQ(back.error().message,
            "not a task record: unknown method 'stuffing' (the methods are rlm and vanilla)");
  j["method"] = "RLM"; // spellings are exact
  EXPECT_EQ(reason(record_from_json(j)),
            "not a task record: unknown method 'RLM' (the methods are rlm and vanilla)");
}

TEST(BenchRecord, AnUnknownStatusIsRefusedWithTheReason) {
  auto j = to_json(record("k", Method::rlm, 4096, 1));
  j["status"] = "timeout";
  EXPECT_EQ(reason(record_from_json(j)),
            "not a task record: unknown status 'timeout' (ok, truncated or error)");
  j["status"] = 3;
  EXPECT_EQ(reason(record_from_json(j)),
            "not a task record: unknown status 'not text' (ok, truncated or error)");
}

TEST(BenchRecord, StatusesAndMethodsAreSpelledAsInResultsFiles) {
  for (const auto status : {Status::ok, Status::truncated, Status::error})
    EXPECT_EQ(parse_status(to_string(status)), status);
  EXPECT_EQ(std::string(to_string(Status::truncated)), "truncated");
  EXPECT_FALSE(parse_status("OK"));
  EXPECT_EQ(config::parse_bench_method("vanilla"), Method::vanilla);
  EXPECT_EQ(std::string(config::to_string(Method::rlm)), "rlm");
  EXPECT_FALSE(config::parse_bench_method(""));
}

TEST(BenchRecord, StrangeLinesAreNotRecords) {
  EXPECT_EQ(reason(record_from_json(json::parse("[1,2]"))),
            "not a task record: no \"type\": \"task\"");
  EXPECT_EQ(reason(record_from_json(json{{"type", "task"}, {"key", 5}})),
            "not a task record: no key");
  auto j = to_json(record("k", Method::rlm, 4096, 1));
  j["score"] = 7; // out of range
  EXPECT_EQ(reason(record_from_json(j)), "not a task record: score is not a number from 0 to 1");
  j["score"] = "high";
  EXPECT_FALSE(record_from_json(j));
}

TEST(BenchRecord, CraftedFieldsNeverThrowOrOverflow) {
  EXPECT_FALSE(record_from_json(json{{"type", 1}}));
  auto j = to_json(record("k", Method::rlm, 4096, 1));
  j["tokens"]["root"]["prompt"] = INT64_MAX;
  EXPECT_EQ(reason(record_from_json(j)),
            "not a task record: a token count is not a whole number from 0");
  j = to_json(record("k", Method::rlm, 4096, 1));
  j["length_tokens"] = 1e300;
  EXPECT_FALSE(record_from_json(j));
  j = to_json(record("k", Method::rlm, 4096, 1));
  j["trial"] = 1e300; // not a whole number: read as 0
  ASSERT_TRUE(record_from_json(j));
  EXPECT_EQ(record_from_json(j)->trial, 0);
}

} // namespace
} // namespace rlm::bench
