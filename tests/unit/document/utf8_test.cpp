#include "rlm/document/utf8.hpp"
#include "rlm/util/utf8_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

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

// The word-at-a-time path must place a bad byte exactly where the byte-by-byte rule does,
// whatever mix of newlines (several in one word, one at a word's last byte) comes before it.
TEST(Utf8Scanner, PositionsAfterNewlineDenseTextMatchAByteByByteCount) {
  std::mt19937 random(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const auto length = random() % 200;
    for (std::uint32_t i = 0; i < length; ++i) text.push_back(random() % 3 == 0 ? '\n' : 'a');
    const auto bad = random() % (text.size() + 1);
    text.insert(bad, 1, '\xff');
    std::uint64_t line = 1, column = 1;
    for (std::size_t i = 0; i < bad; ++i) {
      column = text[i] == '\n' ? 1 : column + 1;
      line += text[i] == '\n' ? 1U : 0U;
    }
    const auto problem = scan(text);
    ASSERT_TRUE(problem) << trial;
    EXPECT_EQ(problem->where.offset, bad) << trial;
    EXPECT_EQ(problem->where.line, line) << trial;
    EXPECT_EQ(problem->where.column, column) << trial;
  }
}

TEST(Utf8Scanner, CountsNewlinesInEveryPositionOfAWord) {
  Utf8Scanner scanner;
  EXPECT_FALSE(scanner.feed("\n\n\n\n\n\n\n\nab\ncdefg\n" + std::string(16, '\n')));
  EXPECT_EQ(scanner.newlines(), 26U);
  EXPECT_EQ(scanner.characters(), 33U);
}

TEST(Utf8Characters, CountsCodePointsEightBytesAtATime) {
  EXPECT_EQ(utf8_characters(""), 0U);
  EXPECT_EQ(utf8_characters("héllo wörld, 日本語, 😀\nsecond line\n"), 32U);
  std::mt19937 random(11);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes;
    const auto length = random() % 100;
    for (std::uint32_t i = 0; i < length; ++i)
      bytes.push_back(static_cast<char>(random() % 4 == 0 ? '\n' : random() & 0xFF));
    std::size_t expected = 0;
    for (const char c : bytes) expected += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1U : 0U;
    EXPECT_EQ(utf8_characters(bytes), expected) << trial;
    // Every byte value, '\n' with its neighbours 0x0B and 0x8A among them.
    EXPECT_EQ(count_newlines(bytes), static_cast<std::size_t>(std::ranges::count(bytes, '\n')))
        << trial;
  }
}

TEST(Utf8Describe, NamesTheFileAndTheFix) {
  const auto problem = scan("a\xff");
  EXPECT_EQ(describe(*problem, "doc.txt"), "doc.txt is not valid UTF-8 (line 1, column 2, byte 1); "
                                           "convert it, e.g. iconv -f latin1 -t utf-8");
}

} // namespace
} // namespace rlm::document
