#include "rlm/document/utf8.hpp"

#include <gtest/gtest.h>

namespace rlm::document {
namespace {

std::optional<TextProblem> scan(std::string_view text) {
  Utf8Scanner scanner;
  if (auto problem = scanner.feed(text)) return problem;
  return scanner.finish();
}

TEST(Utf8Scanner, AcceptsAsciiAndMultiByteText) {
  Utf8Scanner scanner;
  EXPECT_FALSE(scanner.feed("héllo wörld, 日本語, 😀\nsecond line\n"));
  EXPECT_FALSE(scanner.finish());
  EXPECT_EQ(scanner.characters(), 32U);
  EXPECT_EQ(scanner.newlines(), 2U);
}

TEST(Utf8Scanner, SequenceMaySpanPieces) {
  Utf8Scanner scanner;
  const std::string text = "a😀b";
  for (const char c : text) EXPECT_FALSE(scanner.feed(std::string_view(&c, 1)));
  EXPECT_FALSE(scanner.finish());
  EXPECT_EQ(scanner.characters(), 3U);
}

TEST(Utf8Scanner, ReportsLineColumnAndOffsetOfABadByte) {
  const auto problem = scan("first\nab\xff"
                            "cd");
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->kind, TextProblem::Kind::invalid_utf8);
  EXPECT_EQ(problem->where.line, 2U);
  EXPECT_EQ(problem->where.column, 3U);
  EXPECT_EQ(problem->where.offset, 8U);
}

TEST(Utf8Scanner, RejectsOverlongSurrogateAndOutOfRangeForms) {
  EXPECT_TRUE(scan("\xc0\xaf"));         // overlong '/'
  EXPECT_TRUE(scan("\xe0\x80\xaf"));     // overlong
  EXPECT_TRUE(scan("\xed\xa0\x80"));     // surrogate U+D800
  EXPECT_TRUE(scan("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_TRUE(scan("\x80"));             // lone continuation
}

TEST(Utf8Scanner, RejectsASequenceCutByTheEnd) {
  const auto problem = scan("ok \xe6\x97");
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->where.offset, 3U); // where the cut sequence began
}

TEST(Utf8Scanner, NulByteMeansBinary) {
  const auto problem = scan(std::string_view("abc\0def", 7));
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->kind, TextProblem::Kind::nul_byte);
  EXPECT_EQ(problem->where.offset, 3U);
}

TEST(Utf8Scanner, FastPathCountsLongAsciiRuns) {
  Utf8Scanner scanner;
  const std::string text(1000, 'x');
  EXPECT_FALSE(scanner.feed(text + "\n" + text));
  EXPECT_EQ(scanner.characters(), 2001U);
  EXPECT_EQ(scanner.newlines(), 1U);
}

TEST(Utf8Describe, NamesTheFileAndTheFix) {
  const auto problem = scan("a\xff");
  EXPECT_EQ(describe(*problem, "doc.txt"), "doc.txt is not valid UTF-8 (line 1, column 2, byte 1); "
                                           "convert it, e.g. iconv -f latin1 -t utf-8");
}

} // namespace
} // namespace rlm::document
