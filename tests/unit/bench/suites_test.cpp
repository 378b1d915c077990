// The generators: deterministic, the right length, each fact exactly once at its position,
// and answers that follow from the document.
#include "rlm/bench/suites.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

namespace rlm::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

struct Case {
  std::string suite;
  std::int64_t tokens;
  std::optional<double> position;
};

std::vector<Case> every_case() {
  std::vector<Case> cases;
  for (const auto& s : suites()) {
    for (const std::int64_t tokens : {4096, 16384, 131072}) {
      if (s.uses_positions) {
        for (const double p : {0.0, 0.1, 0.5, 0.9, 1.0})
          cases.push_back({std::string(s.name), tokens, p});
      } else {
        cases.push_back({std::string(s.name), tokens, std::nullopt});
      }
    }
  }
  return cases;
}

TEST(BenchSuites, TheSameSeedGivesTheSameBytesAndAnotherSeedOtherBytes) {
  for (const auto& s : suites()) {
    const TaskSpec spec{std::string(s.name), 8192, 0.3, 2, 7};
    const auto a = generate(spec);
    const auto b = generate(spec);
    EXPECT_EQ(a.document, b.document) << s.name;
    EXPECT_EQ(a.query, b.query);
    EXPECT_EQ(a.expected, b.expected);
    auto other = spec;
    other.seed = 8;
    EXPECT_NE(generate(other).document, a.document) << s.name;
    auto next_trial = spec;
    next_trial.trial = 3;
    EXPECT_NE(generate(next_trial).document, a.document) << s.name;
  }
}

TEST(BenchSuites, AKnownSeedKeepsItsDocument) {
  // Pins the generator: a change to it changes every published comparison, so it must be
  // deliberate (update this value, and say so in docs/bench.md).
  const auto task = generate({"niah", 4096, 0.5, 0, 42});
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (const char c : task.document)
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  EXPECT_EQ(task.document.size(), 16379U);
  EXPECT_EQ(hash, 0xa0921cd40cc25b6aULL) << std::hex << hash;
}

TEST(BenchSuites, LengthsAreWithinTwoPercentOfTheTokensAsked) {
  for (const auto& c : every_case()) {
    const auto task = generate({c.suite, c.tokens, c.position, 0, 42});
    const double want = static_cast<double>(c.tokens * k_chars_per_token);
    EXPECT_NEAR(static_cast<double>(task.document.size()), want, want * 0.02)
        << c.suite << " " << c.tokens;
    EXPECT_LE(task.document.size(), static_cast<std::size_t>(want) + 1) << c.suite;
  }
}

TEST(BenchSuites, EachFactAppearsExactlyOnceWhereItWasPut) {
  for (const auto& c : every_case()) {
    const auto task = generate({c.suite, c.tokens, c.position, 1, 42});
    ASSERT_EQ(task.facts.size(), task.fact_offsets.size());
    for (std::size_t i = 0; i < task.facts.size(); ++i) {
      EXPECT_EQ(count_of(task.document, task.facts[i]), 1U) << c.suite << ": " << task.facts[i];
      EXPECT_EQ(task.document.substr(task.fact_offsets[i], task.facts[i].size()), task.facts[i]);
    }
    if (c.position && !task.facts.empty()) {
      // The first fact (the needle, or the first hop) sits at the position asked.
      const double at =
          static_cast<double>(task.fact_offsets[0]) / static_cast<double>(task.document.size());
      EXPECT_NEAR(at, *c.position, 0.01) << c.suite << " " << c.tokens << " at " << *c.position;
    }
  }
}

TEST(BenchSuites, TheNeedleIsTheOnlyPassphraseAndTheAnswerAppearsOnce) {
  for (const double p : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const auto task = generate({"niah", 32768, p, 0, 42});
    EXPECT_EQ(count_of(task.document, "passphrase"), 1U);
    EXPECT_EQ(count_of(task.document, task.expected), 1U);
    EXPECT_THAT(task.document, HasSubstr("is " + task.expected + "."));
    EXPECT_EQ(task.scorer, Scorer::contains);
  }
}

TEST(BenchSuites, HaystacksReadAsParagraphsOfText) {
  const auto task = generate({"niah", 16384, 0.5, 0, 42});
  EXPECT_GT(count_of(task.document, "\n\n"), 20U);
  EXPECT_EQ(count_of(task.document, "\n\n\n"), 0U);
  EXPECT_EQ(count_of(task.document, "  "), 0U);
  EXPECT_EQ(count_of(task.document, ".."), 0U);
  EXPECT_TRUE(task.document.ends_with(".\n"));
  for (const char c : task.document) {
    EXPECT_TRUE(c == '\n' || (c >= ' ' && c <= '~')) << int(c);
    if (!(c == '\n' || (c >= ' ' && c <= '~'))) break;
  }
}

TEST(BenchSuites, MultifactAsksForEveryNumberInTheDocument) {
  const auto task = generate({"multifact", 65536, std::nullopt, 0, 42});
  EXPECT_EQ(task.scorer, Scorer::set_f1);
  ASSERT_EQ(task.facts.size(), 4U);
  const auto numbers = list_items(task.expected);
  ASSERT_EQ(numbers.size(), 4U);
  for (const auto& fact : task.facts) EXPECT_THAT(task.query, HasSubstr(fact.substr(13, 5)));
  // One fact in each quarter of the document.
  for (std::size_t i = 0; i < 4; ++i) {
    const double at =
        static_cast<double>(task.fact_offsets[i]) / static_cast<double>(task.document.size());
    EXPECT_GE(at, static_cast<double>(i) / 4 - 0.01);
    EXPECT_LE(at, static_cast<double>(i + 1) / 4 + 0.01);
  }
}

// Recounts the tickets of each topic from the document itself.
std::map<std::string, int> topic_counts(const std::string& document) {
  std::map<std::string, int> counts;
  const std::regex line(R"(\| topic: ([a-z]+) \|)");
  for (std::sregex_iterator it(document.begin(), document.end(), line), end; it != end; ++it)
    ++counts[(*it)[1].str()];
  return counts;
}

TEST(BenchSuites, AggregateAnswersFollowFromEveryLine) {
  int counted = 0;
  int listed = 0;
  for (std::int64_t trial = 0; trial < 12; ++trial) {
    const auto task = generate({"aggregate", 16384, std::nullopt, trial, 42});
    const auto counts = topic_counts(task.document);
    int total = 0;
    for (const auto& [topic, n] : counts) total += n;
    EXPECT_EQ(total + 1, static_cast<int>(count_of(task.document, "\n")));
    if (task.scorer == Scorer::numeric) {
      ++counted;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(task.query, m, std::regex("topic \"([a-z]+)\"")));
      EXPECT_EQ(task.expected, std::to_string(counts.at(m[1].str())));
    } else {
      ++listed;
      ASSERT_EQ(task.scorer, Scorer::set_f1);
      std::smatch m;
      ASSERT_TRUE(std::regex_search(task.query, m, std::regex("more than ([0-9]+) tickets")));
      const int threshold = std::stoi(m[1].str());
      std::set<std::string> above;
      for (const auto& [topic, n] : counts) {
        EXPECT_NE(n, threshold) << "the threshold must fall between counts";
        if (n > threshold) above.insert(topic);
      }
      const auto items = list_items(task.expected);
      EXPECT_EQ(std::set<std::string>(items.begin(), items.end()), above);
    }
  }
  EXPECT_GT(counted, 0);
  EXPECT_GT(listed, 0);
}

TEST(BenchSuites, MultihopNeedsBothHopsAndHasATrap) {
  const auto task = generate({"multihop", 32768, 0.2, 0, 42});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(task.query, m, std::regex("the person (.+) reports to\\?")));
  const auto person = m[1].str();
  ASSERT_TRUE(std::regex_search(
      task.document, m, std::regex(person + " reports directly to ([A-Z][a-z]+ [A-Z][a-z]+)\\.")));
  const auto manager = m[1].str();
  ASSERT_TRUE(std::regex_search(task.document, m,
                                std::regex(manager + " works at the ([A-Za-z]+) office")));
  EXPECT_EQ(m[1].str(), task.expected);
  // The person's own office is another city: answering it is wrong.
  ASSERT_TRUE(
      std::regex_search(task.document, m, std::regex(person + " works at the ([A-Za-z]+) office")));
  EXPECT_NE(m[1].str(), task.expected);
  // The two hops sit half a document apart.
  const double first =
      static_cast<double>(task.fact_offsets[0]) / static_cast<double>(task.document.size());
  const double second =
      static_cast<double>(task.fact_offsets[1]) / static_cast<double>(task.document.size());
  EXPECT_NEAR(first, 0.2, 0.01);
  EXPECT_NEAR(second, 0.7, 0.01);
}

TEST(BenchSuites, UnknownSuitesAndTinyLengthsAreRefused) {
  EXPECT_THROW(generate({"nope", 4096, 0.5, 0, 1}), std::invalid_argument);
  EXPECT_THROW(generate({"niah", 1000, 0.5, 0, 1}), std::invalid_argument);
  EXPECT_NE(find_suite("aggregate"), nullptr);
  EXPECT_EQ(find_suite("Aggregate"), nullptr);
}

} // namespace
} // namespace rlm::bench
