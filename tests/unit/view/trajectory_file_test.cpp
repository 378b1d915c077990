#include "rlm/view/trajectory_file.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace rlm::view {
namespace {

const std::string k_header = R"({"type":"run","trajectory_version":2,"query":"Q?"})"
                             "\n";
const std::string k_turn = R"({"type":"iteration","run":0,"number":1,"cells":[]})"
                           "\n";
const std::string k_result = R"({"type":"result","answer":"42"})"
                             "\n";

std::string type_of(const nlohmann::json& line) { return line["type"].get<std::string>(); }

TEST(TrajectoryFile, AFinishedRunKeepsEveryLineInOrder) {
  const auto t = parse_trajectory(k_header + k_turn + k_result, "run.jsonl");
  ASSERT_TRUE(t.has_value()) << t.error().message;
  ASSERT_EQ(t->lines.size(), 3U);
  EXPECT_EQ(type_of(t->lines[1]), "iteration");
  EXPECT_TRUE(t->finished);
  EXPECT_FALSE(t->last_line_partial);
  EXPECT_EQ(t->skipped_lines, 0U);
}

TEST(TrajectoryFile, ARunStillBeingWrittenLeavesOutItsCutLastLine) {
  const auto t = parse_trajectory(k_header + k_turn + R"({"type":"iteration","run":0,"numb)",
                                  "run.jsonl.partial");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->lines.size(), 2U);
  EXPECT_TRUE(t->last_line_partial);
  EXPECT_FALSE(t->finished);
  EXPECT_EQ(t->skipped_lines, 0U);
}

TEST(TrajectoryFile, ALastLineWithoutItsNewlineButWholeIsKept) {
  auto text = k_header + k_result;
  text.pop_back();
  const auto t = parse_trajectory(text, "run.jsonl");
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->finished);
  EXPECT_FALSE(t->last_line_partial);
}

TEST(TrajectoryFile, GarbageLinesAreCountedAndUnknownTypesDropped) {
  const std::string garbage = "not json at all\n"
                              "[1,2,3]\n"
                              "\"a string\"\n"
                              "{\"type\":\"from_the_future\",\"x\":1}\n"
                              "{\"no_type\":true}\n"
                              "\n"
                              "   \n";
  const auto t = parse_trajectory(k_header + garbage + k_turn, "run.jsonl");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->lines.size(), 2U);
  EXPECT_EQ(type_of(t->lines[1]), "iteration");
  EXPECT_EQ(t->skipped_lines, 3U); // not JSON, an array, a string: not objects
}

TEST(TrajectoryFile, InvalidUtf8IsReplacedNotRefused) {
  const auto t = parse_trajectory(
      k_header + "{\"type\":\"iteration\",\"reply\":\"caf\xe9 \xff\xfe ok\"}\n", "run.jsonl");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->lines.size(), 2U);
  EXPECT_EQ(t->lines[1]["reply"], "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok");
}

TEST(TrajectoryFile, JsonNestedTooDeepIsSkippedNotRecursedInto) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']') + "\n";
  const auto t = parse_trajectory(k_header + deep + k_turn, "run.jsonl");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->lines.size(), 2U);
  EXPECT_EQ(t->skipped_lines, 1U);
}

TEST(TrajectoryFile, AFileThatIsNotATrajectoryIsOneClearError) {
  for (const auto& text : {std::string("hello\n"),
                           std::string(R"({"type":"task"})"
                                       "\n"),
                           k_turn + k_header}) {
    const auto t = parse_trajectory(text, "notes.txt");
    ASSERT_FALSE(t.has_value()) << text;
    EXPECT_EQ(t.error().kind, ErrorKind::input);
    EXPECT_EQ(t.error().message,
              "notes.txt is not an rlm trajectory (its first line is not a \"run\" line)");
  }
}

TEST(TrajectoryFile, AnEmptyFileIsNotATrajectory) {
  const auto t = parse_trajectory("\n\n", "empty.jsonl");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message, "empty.jsonl is empty, not an rlm trajectory");
}

TEST(TrajectoryFile, AnotherTrajectoryVersionIsRefusedByNumber) {
  const auto v1 = parse_trajectory(R"({"type":"run","query":"Q"})"
                                   "\n",
                                   "old.jsonl");
  ASSERT_FALSE(v1.has_value());
  EXPECT_EQ(v1.error().message, "old.jsonl is trajectory_version 1; this rlm view reads version 2");
  const auto v9 = parse_trajectory(R"({"type":"run","trajectory_version":9})"
                                   "\n",
                                   "new.jsonl");
  ASSERT_FALSE(v9.has_value());
  EXPECT_EQ(v9.error().message, "new.jsonl is trajectory_version 9; this rlm view reads version 2");
}

TEST(TrajectoryFile, RandomBytesAfterTheHeaderNeverBreakTheReader) {
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    std::string noise;
    const auto size = random() % 400;
    for (unsigned i = 0; i < size; ++i) {
      // Mostly JSON's own characters, so that some lines almost parse.
      constexpr std::string_view k_alphabet = "{}[]\":,\n\\ typerunitaon0123456789\xff\xc3";
      noise += random() % 4 == 0 ? static_cast<char>(random() % 256)
                                 : k_alphabet[random() % k_alphabet.size()];
    }
    const auto t = parse_trajectory(k_header + noise, "noise.jsonl");
    ASSERT_TRUE(t.has_value());
    for (const auto& line : t->lines) EXPECT_TRUE(line.is_object());
  }
}

TEST(TrajectoryFile, AMissingFileIsAnInputError) {
  const auto t = read_trajectory("/nonexistent/run.jsonl");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().kind, ErrorKind::input);
  EXPECT_EQ(t.error().message, "no trajectory file /nonexistent/run.jsonl");
}

} // namespace
} // namespace rlm::view
