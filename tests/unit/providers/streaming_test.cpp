#include "providers/streaming.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rlm::providers {
namespace {

TEST(LineSplitter, LinesMaySpanPiecesAndPiecesMayHoldManyLines) {
  LineSplitter splitter;
  std::vector<std::string> lines;
  const auto take = [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  };
  EXPECT_TRUE(splitter.feed("{\"a\":", take));
  EXPECT_TRUE(splitter.feed("1}\n{\"b\":2}\n\n{\"c\"", take));
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", ""}));
  EXPECT_EQ(splitter.rest(), "{\"c\"");
}

TEST(LineSplitter, StopsAsSoonAsTheReaderDoes) {
  LineSplitter splitter;
  int seen = 0;
  EXPECT_FALSE(splitter.feed("one\ntwo\nthree\n", [&](std::string_view) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
}

} // namespace
} // namespace rlm::providers
