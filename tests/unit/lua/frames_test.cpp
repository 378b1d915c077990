// The worker protocol's messages: each one written and read back whole, and each reader
// total on a frame of the wrong shape (only a broken or compromised peer sends one).
#include "lua/frames.hpp"

#include <gtest/gtest.h>

namespace rlm::lua::frames {
namespace {

using nlohmann::json;

TEST(Frames, LimitsRoundTrip) {
  Limits limits;
  limits.cell_timeout_seconds = 2.5;
  limits.memory_limit_bytes = 123 << 20;
  limits.max_output_bytes = 777;
  limits.max_source_bytes = 888;
  limits.max_error_bytes = 99;
  const auto back = limits_from(json{{"limits", to_json(limits)}});
  EXPECT_EQ(back.cell_timeout_seconds, 2.5);
  EXPECT_EQ(back.memory_limit_bytes, 123 << 20);
  EXPECT_EQ(back.max_output_bytes, 777);
  EXPECT_EQ(back.max_source_bytes, 888);
  EXPECT_EQ(back.max_error_bytes, 99);
}

TEST(Frames, LimitsOfTheWrongShapeKeepTheDefaults) {
  const Limits defaults;
  const auto back = limits_from(json{{"limits",
                                      {{"cell_timeout_seconds", -1},
                                       {"memory_limit_bytes", 1e300},
                                       {"max_output_bytes", "1"},
                                       {"max_source_bytes", 0}}}});
  EXPECT_EQ(back.cell_timeout_seconds, defaults.cell_timeout_seconds);
  EXPECT_EQ(back.memory_limit_bytes, defaults.memory_limit_bytes);
  EXPECT_EQ(back.max_output_bytes, defaults.max_output_bytes);
  EXPECT_EQ(back.max_source_bytes, defaults.max_source_bytes);
}

TEST(Frames, EveryCellResultRoundTrips) {
  for (const auto kind :
       {CellError::Kind::syntax, CellError::Kind::runtime, CellError::Kind::timeout,
        CellError::Kind::memory, CellError::Kind::too_large}) {
    CellResult r;
    r.output = "out\n";
    r.output_dropped = 5;
    r.seconds = 0.25;
    r.memory_bytes = 1024;
    r.peak_memory_bytes = 4096;
    r.sub_calls = 3;
    r.final_answer = "42";
    r.error = CellError{kind, "what went wrong"};
    const auto back = result_from(to_json(r));
    EXPECT_EQ(back.output, r.output);
    EXPECT_EQ(back.output_dropped, 5U);
    EXPECT_EQ(back.seconds, 0.25);
    EXPECT_EQ(back.memory_bytes, 1024U);
    EXPECT_EQ(back.peak_memory_bytes, 4096U);
    EXPECT_EQ(back.sub_calls, 3U);
    EXPECT_EQ(back.final_answer, "42");
    ASSERT_TRUE(back.error);
    EXPECT_EQ(back.error->kind, kind) << to_string(kind);
    EXPECT_EQ(back.error->message, "what went wrong");
  }
}

TEST(Frames, AResultOfTheWrongShapeIsReadWithoutThrowing) {
  const auto back =
      result_from(json{{"output", 5}, {"output_dropped", -1.5}, {"final", 5}, {"error", "boom"}});
  EXPECT_EQ(back.output, "");
  EXPECT_EQ(back.output_dropped, 0U);
  EXPECT_FALSE(back.final_answer);
  ASSERT_TRUE(back.error);
  EXPECT_EQ(back.error->message, "the REPL sent a malformed error");
}

TEST(Frames, QueriesAndAnswersRoundTrip) {
  const std::vector<std::string> prompts = {"a", "b", ""};
  EXPECT_EQ(prompts_from(query_frame(prompts)), prompts);
  const std::vector<QueryResult> results = {std::string("x"), std::unexpected(std::string("e"))};
  const auto back = answers_from(answers_frame(results, 1.5), 2);
  EXPECT_EQ(back.model_seconds, 1.5);
  ASSERT_EQ(back.results.size(), 2U);
  EXPECT_EQ(back.results[0], "x");
  EXPECT_EQ(back.results[1], std::unexpected(std::string("e")));
}

TEST(Frames, MalformedQueriesAndAnswersAreRefusedOrFilled) {
  EXPECT_FALSE(prompts_from(json{{"prompts", "x"}}));
  EXPECT_FALSE(prompts_from(json{{"prompts", {"a", 5}}}));
  // Fewer answers than prompts, or answers of the wrong type: one result per prompt always.
  const auto back = answers_from(json{{"answers", {5, {{"text", 5}}}}}, 3);
  ASSERT_EQ(back.results.size(), 3U);
  for (const auto& r : back.results) EXPECT_FALSE(r);
}

TEST(Frames, DocumentsMustLieInsideTheMapping) {
  const auto ok =
      documents_from(json{{"documents", {{{"name", "a"}, {"offset", 0}, {"bytes", 10}}}}}, 10);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].name, "a");
  EXPECT_FALSE(
      documents_from(json{{"documents", {{{"name", "a"}, {"offset", 5}, {"bytes", 10}}}}}, 10));
  EXPECT_FALSE(
      documents_from(json{{"documents", {{{"name", "a"}, {"offset", 1}, {"bytes", -1}}}}}, 10));
  EXPECT_FALSE(documents_from(json{{"documents", "x"}}, 10));
}

TEST(Frames, WhetherTheCellReadTheDocumentRoundTrips) {
  CellResult r;
  r.read_document = true;
  EXPECT_TRUE(result_from(to_json(r)).read_document);
  r.read_document = false;
  EXPECT_FALSE(result_from(to_json(r)).read_document);
}

} // namespace
} // namespace rlm::lua::frames
