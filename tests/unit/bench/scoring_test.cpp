#include "rlm/bench/scoring.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace rlm::bench {
namespace {

TEST(BenchScoring, NormalizeLowersAndDropsPunctuation) {
  EXPECT_EQ(normalize("  The Passphrase: AMBER-7291!  "), "the passphrase amber 7291");
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize("Malmö"), "malmö"); // UTF-8 bytes are word characters
}

TEST(BenchScoring, ExactIgnoresCaseAndPunctuationOnly) {
  EXPECT_EQ(score(Scorer::exact, "Lisbon.", "lisbon"), 1.0);
  EXPECT_EQ(score(Scorer::exact, "The city is Lisbon", "Lisbon"), 0.0);
}

TEST(BenchScoring, ContainsNeedsWholeWords) {
  EXPECT_EQ(score(Scorer::contains, "The passphrase is amber-7291.", "amber-7291"), 1.0);
  EXPECT_EQ(score(Scorer::contains, "amber-72910", "amber-7291"), 0.0);
  EXPECT_EQ(score(Scorer::contains, "xamber-7291", "amber-7291"), 0.0);
  EXPECT_EQ(score(Scorer::contains, "anything", ""), 0.0);
  EXPECT_EQ(score(Scorer::contains, "", "amber-7291"), 0.0);
}

TEST(BenchScoring, ContainsRefusesTheTrapAndTheWholeDocument) {
  const std::vector<std::string> wrong = {"Porto", "Oslo"};
  EXPECT_EQ(score(Scorer::contains, "Lisbon", "Lisbon", wrong), 1.0);
  EXPECT_EQ(score(Scorer::contains, "Lisbon or Porto", "Lisbon", wrong), 0.0);
  EXPECT_EQ(score(Scorer::contains, "Lisbon, Oslo, Porto, Riga", "Lisbon", wrong), 0.0);
  std::string flood = "amber-7291";
  for (int i = 0; i < 70; ++i) flood += " filler";
  EXPECT_EQ(score(Scorer::contains, flood, "amber-7291"), 0.0);
  EXPECT_EQ(
      score(Scorer::contains, "The passphrase for the archive vault is amber-7291.", "amber-7291"),
      1.0);
}

TEST(BenchScoring, NumericTakesTheLastNumberAndDecaysWithTheError) {
  EXPECT_EQ(last_number("In 2024 there were 1,234 tickets"), 1234.0);
  EXPECT_EQ(last_number("-5 and then 3.5"), 3.5);
  EXPECT_EQ(last_number("x-5"), 5.0); // a hyphen inside a word is not a minus sign
  EXPECT_EQ(last_number("none"), std::nullopt);
  EXPECT_EQ(score(Scorer::numeric, "42", "42"), 1.0);
  EXPECT_EQ(score(Scorer::numeric, "There are 42 tickets.", "42"), 1.0);
  EXPECT_DOUBLE_EQ(score(Scorer::numeric, "40", "42"), 0.5625); // 0.75^2, as OOLONG scores
  EXPECT_LT(score(Scorer::numeric, "400", "42"), 1e-40);
  EXPECT_EQ(score(Scorer::numeric, "many", "42"), 0.0);
  EXPECT_EQ(score(Scorer::numeric, "0.5", "0.5"), 1.0);
  EXPECT_EQ(score(Scorer::numeric, "0.6", "0.5"), 0.0);
}

TEST(BenchScoring, ListItemsSplitOnCommasLinesAndAnd) {
  EXPECT_EQ(list_items("Falcon, Heron and Lynx"),
            (std::vector<std::string>{"falcon", "heron", "lynx"}));
  EXPECT_EQ(list_items("1. Falcon\n2) Heron\n- Lynx\n* lynx"),
            (std::vector<std::string>{"falcon", "heron", "lynx"}));
  EXPECT_EQ(list_items("RX-4821; QA-1000"), (std::vector<std::string>{"rx 4821", "qa 1000"}));
  EXPECT_TRUE(list_items(" , ;\n").empty());
}

TEST(BenchScoring, SetF1RewardsEachRightItemAndPunishesExtras) {
  EXPECT_EQ(score(Scorer::set_f1, "lynx, falcon, heron", "Falcon, Heron, Lynx"), 1.0);
  // 2 of 3 found, none wrong: precision 1, recall 2/3.
  EXPECT_DOUBLE_EQ(score(Scorer::set_f1, "falcon, heron", "falcon, heron, lynx"), 0.8);
  // 3 right and 3 wrong: precision 1/2, recall 1.
  EXPECT_DOUBLE_EQ(score(Scorer::set_f1, "a, b, c, falcon, heron, lynx", "falcon, heron, lynx"),
                   2.0 / 3.0);
  EXPECT_EQ(score(Scorer::set_f1, "", "falcon"), 0.0);
  EXPECT_EQ(score(Scorer::set_f1, "owl", "falcon"), 0.0);
  EXPECT_EQ(score(Scorer::set_f1, "falcon, falcon, falcon", "falcon, heron"),
            score(Scorer::set_f1, "falcon", "falcon, heron"));
}

TEST(BenchScoring, ScorerNamesRoundTrip) {
  for (const auto s : {Scorer::exact, Scorer::contains, Scorer::numeric, Scorer::set_f1})
    EXPECT_EQ(scorer_from_string(to_string(s)), s);
  EXPECT_EQ(scorer_from_string("f1"), std::nullopt);
}

} // namespace
} // namespace rlm::bench
