#include "rlm/util/length_spec.hpp"

#include <gtest/gtest.h>

namespace rlm {
namespace {

using Lengths = std::vector<std::int64_t>;

TEST(LengthSpec, SingleLengthsWithSuffixes) {
  EXPECT_EQ(parse_length("4k"), 4096);
  EXPECT_EQ(parse_length("1M"), 1024 * 1024);
  EXPECT_EQ(parse_length(" 32768 "), 32768);
}

TEST(LengthSpec, RangeDoubles) {
  EXPECT_EQ(parse_length_spec("4k..32k"), (Lengths{4096, 8192, 16384, 32768}));
}

TEST(LengthSpec, RangeKeepsAnUnevenLastLength) {
  EXPECT_EQ(parse_length_spec("4k..10k"), (Lengths{4096, 8192, 10240}));
  EXPECT_EQ(parse_length_spec("8k..8k"), (Lengths{8192}));
}

TEST(LengthSpec, List) {
  EXPECT_EQ(parse_length_spec("4k,32k,1m"), (Lengths{4096, 32768, 1048576}));
}

TEST(LengthSpec, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(parse_length_spec("4k..x").error(), "'x' is not a length like 4k, 32768 or 1m");
  EXPECT_EQ(parse_length_spec("32k..4k").error(), "range '32k..4k' runs backwards");
  EXPECT_FALSE(parse_length_spec(""));
  EXPECT_FALSE(parse_length_spec("4k,,8k"));
  EXPECT_FALSE(parse_length_spec("-4k"));
  EXPECT_FALSE(parse_length_spec("0"));
  EXPECT_FALSE(parse_length_spec("99999999999999999999"));
}

TEST(LengthSpec, HugeRangeIsBounded) {
  const auto lengths = parse_length_spec("1..1099511627776");
  ASSERT_TRUE(lengths);
  EXPECT_LE(lengths->size(), 64U);
}

} // namespace
} // namespace rlm
