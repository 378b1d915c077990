// The root conversation fitted to the root model's window: older turns compacted, oldest
// first, their code kept; the head and the newest turns never touched; every cut marked.
#include "loop/history.hpp"

#include "rlm/util/display.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace rlm::loop {
namespace {

using ::testing::Optional;
using ::testing::StartsWith;

const std::string k_code = "local hits = grep('needle', 0, 50)\nprint(#hits, hits[1].text)";

std::string reply_with_code(int n) {
  return "Let me look for the needle in part " + std::to_string(n) + ". " + std::string(800, 'p') +
         "\n```lua\n" + k_code + "\n```\nThat should show it.";
}

std::string output_of(int n, std::size_t size) {
  std::string out = "Output:\nturn " + std::to_string(n) + " starts\n";
  out += std::string(size, static_cast<char>('a' + n % 26));
  return out + "\nturn " + std::to_string(n) + " ends";
}

// A system prompt, a briefing and `turns` turns, each a reply with code and an output of
// `output_size` characters.
History history_of(int turns, std::size_t output_size = 5'000) {
  History h;
  h.push({"system", "SYSTEM PROMPT"});
  h.push({"user", "BRIEFING"});
  for (int n = 1; n <= turns; ++n) {
    h.push({"assistant", reply_with_code(n)});
    h.push({"user", output_of(n, output_size)});
  }
  return h;
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

TEST(History, ConversationCharsCountTextAndTemplate) {
  EXPECT_EQ(conversation_chars({{"system", "abc"}, {"user", "de"}}),
            5 + 2 * k_template_chars_per_message);
}

TEST(History, TheOutputPerTurnTakesAtMostAThirdOfASmallWindow) {
  EXPECT_EQ(feedback_limit(20'000, std::nullopt), 20'000U); // unknown window: as configured
  EXPECT_EQ(feedback_limit(20'000, 300'000), 20'000U);      // a large one changes nothing
  EXPECT_EQ(feedback_limit(20'000, 12'000), 4'000U);
  EXPECT_EQ(feedback_limit(20'000, 3'000), k_min_feedback_chars); // never under the floor
  EXPECT_EQ(feedback_limit(500, 3'000), 500U);                    // nor over what was set
}

TEST(History, NothingChangesWhenItFits) {
  auto h = history_of(4);
  const auto size = conversation_chars(h.view());
  EXPECT_FALSE(h.fit(size, "near_window"));
  EXPECT_EQ(h.view(), h.whole());
}

TEST(History, TheOldestTurnsAreCompactedFirstKeepingTheirCode) {
  auto h = history_of(10);
  const auto whole = h.whole();
  const auto size = conversation_chars(whole);
  const auto fitted = h.fit(size - 1, "near_window");
  ASSERT_TRUE(fitted);
  const auto view = h.view();
  ASSERT_EQ(view.size(), whole.size());
  const auto k = static_cast<std::size_t>(fitted->turns_compacted);
  ASSERT_GE(k, 1U);
  ASSERT_LE(k, 8U); // a quarter of the size is a few turns' outputs, not all of them
  // Turns 1..k (messages 2 .. 2k+1) are compacted; their code is there exactly, re-fenced.
  for (std::size_t t = 0; t < k; ++t) {
    EXPECT_EQ(view[2 + 2 * t].content,
              "```lua\n" + k_code + "\n```\n[compacted: " +
                  with_commas(whole[2 + 2 * t].content.size() - k_code.size() - 12) +
                  " characters of prose around the code cut]");
    EXPECT_NE(view[3 + 2 * t].content, whole[3 + 2 * t].content);
  }
  // The head and everything after turn k are as they were.
  EXPECT_EQ(view[0], whole[0]);
  EXPECT_EQ(view[1], whole[1]);
  for (std::size_t i = 2 + 2 * k; i < view.size(); ++i) EXPECT_EQ(view[i], whole[i]) << i;
  EXPECT_EQ(fitted->reason, "near_window");
  EXPECT_EQ(fitted->limit_chars, size - 1);
  EXPECT_EQ(fitted->turns_dropped, 0);
  EXPECT_EQ(fitted->chars_before, size);
  EXPECT_EQ(fitted->chars_after, conversation_chars(view));
  EXPECT_TRUE(fitted->fits);
  // It makes room to three quarters of the limit, so the next turns need no compaction.
  EXPECT_LE(fitted->chars_after, (size - 1) / 100 * 75);
}

TEST(History, AnOutputCutKeepsItsEndsAndSaysHowMuchWent) {
  auto h = history_of(10);
  const auto whole = h.whole();
  ASSERT_TRUE(h.fit(conversation_chars(whole) - 1, "near_window"));
  const auto view = h.view();
  const auto& cut = view[3].content;
  const auto& original = whole[3].content;
  EXPECT_EQ(cut, original.substr(0, 600) + "\n[compacted: " + with_commas(original.size() - 1'200) +
                     " characters of this turn's output cut to fit the root model's window]\n" +
                     original.substr(original.size() - 600));
  EXPECT_TRUE(cut.starts_with("Output:\nturn 1 starts"));
  EXPECT_TRUE(cut.ends_with("turn 1 ends"));
}

TEST(History, TheHeadAndTheNewestTwoTurnsAreNeverTouched) {
  auto h = history_of(6);
  const auto whole = h.whole();
  const auto record = h.fit(4'000, "context_overflow"); // far less than even two turns
  ASSERT_TRUE(record);
  const auto view = h.view();
  EXPECT_EQ(view[0], whole[0]);
  EXPECT_EQ(view.back(), whole.back());
  EXPECT_EQ(view[view.size() - 2], whole[whole.size() - 2]);
  // The second newest goes too as a last resort, but never the newest.
  EXPECT_FALSE(record->fits);
  EXPECT_EQ(record->turns_compacted, 5);
}

TEST(History, TurnsAreDroppedWhenCuttingIsNotEnoughAndTheBriefingSaysSo) {
  auto h = history_of(8);
  const auto whole = h.whole();
  const auto newest_two = conversation_chars({whole.end() - 4, whole.end()});
  const auto record = h.fit(newest_two + 2'500, "near_window");
  ASSERT_TRUE(record);
  EXPECT_GT(record->turns_dropped, 0);
  const auto view = h.view();
  EXPECT_EQ(view.size(), whole.size() - 2 * static_cast<std::size_t>(record->turns_dropped));
  EXPECT_EQ(view[0], whole[0]);
  const auto note = std::string("\n\n[compacted: the first ") +
                    std::to_string(record->turns_dropped) + " turns (";
  EXPECT_TRUE(view[1].content.starts_with("BRIEFING" + note)) << view[1].content;
  EXPECT_TRUE(view[1].content.ends_with(
      "characters) left out to fit the root model's window; the REPL still holds every "
      "variable they set]"));
  EXPECT_EQ(record->chars_after, conversation_chars(view));
  EXPECT_TRUE(record->fits);
  // The turns left are the newest, in order.
  EXPECT_EQ(view.back(), whole.back());
}

TEST(History, TheViewStaysTheSameAsTurnsArePushed) {
  auto h = history_of(5);
  ASSERT_TRUE(h.fit(conversation_chars(h.whole()) - 1, "near_window"));
  const auto before = h.view();
  h.push({"assistant", reply_with_code(6)});
  h.push({"user", output_of(6, 5'000)});
  const auto after = h.view();
  ASSERT_EQ(after.size(), before.size() + 2);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << i;
}

TEST(History, LevelsOnlyRise) {
  auto h = history_of(6);
  ASSERT_TRUE(h.fit(conversation_chars(h.whole()) / 2, "near_window"));
  const auto first = conversation_chars(h.view());
  // A larger limit later undoes nothing.
  EXPECT_FALSE(h.fit(first * 4, "near_window"));
  EXPECT_EQ(conversation_chars(h.view()), first);
}

TEST(History, CutsFallOnCharacterBoundaries) {
  History h;
  h.push({"system", "S"});
  h.push({"user", "B"});
  std::string accented;
  for (int i = 0; i < 3'001; ++i) accented += i % 3 == 0 ? "\xe2\x82\xac" : "\xc3\xa9"; // € é
  for (int n = 0; n < 4; ++n) {
    h.push({"assistant", "x" + accented + "\n```lua\nprint(1)\n```\n" + accented});
    h.push({"user", "y" + accented});
  }
  ASSERT_TRUE(h.fit(conversation_chars(h.whole()) / 3, "near_window"));
  for (const auto& m : h.view()) EXPECT_TRUE(valid_utf8(m.content)) << m.content.substr(0, 80);
}

TEST(History, ANoteSaysTurnsWereShortenedAndTheReplKeepsTheirVariables) {
  EXPECT_FALSE(compaction_note({}));
  const CompactionRecord one{.reason = "near_window",
                             .limit_chars = 10,
                             .chars_before = 20,
                             .chars_after = 7,
                             .turns_compacted = 1,
                             .turns_dropped = 0,
                             .fits = true};
  EXPECT_EQ(compaction_note({one}),
            "To fit your context window, 1 earlier turn was shortened (each cut is marked "
            "[compacted: ...]). Every variable they set is still in the REPL: print it again if "
            "you need it.");
  auto three = one;
  three.turns_compacted = 3;
  three.turns_dropped = 2;
  EXPECT_EQ(compaction_note({one, three}),
            "To fit your context window, 3 earlier turns were shortened and the oldest 2 of "
            "them left out (each cut is marked [compacted: ...]). Every variable they set is "
            "still in the REPL: print it again if you need it.");
  three.turns_dropped = 3;
  EXPECT_THAT(compaction_note({three}),
              Optional(StartsWith("To fit your context window, the oldest 3 turns were left "
                                  "out (each cut")));
}

} // namespace
} // namespace rlm::loop
