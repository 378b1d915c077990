#include "history.hpp"

#include "rlm/loop/briefing.hpp"
#include "rlm/loop/reply.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/saturating.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rlm::loop {

namespace {

constexpr std::size_t k_kept_output_end = 600; // level 1 keeps this much of each end
constexpr std::size_t k_kept_code_end = 600;   // level 2 keeps this much of each end of code
constexpr std::size_t k_kept_note = 160;       // level 2 keeps this much of an output's start
constexpr std::size_t k_worth_cutting = 200;   // a cut that saves less is not made
constexpr int k_dropped = 3;                   // the level of a turn left out
constexpr std::int64_t k_refill_percent = 75;  // a compaction makes room to this share

// The text with its middle replaced by `mark(cut)`, keeping `end` bytes of each end, cut at
// UTF-8 boundaries; the text itself when that would not save k_worth_cutting.
template <typename Mark>
std::string cut_middle(const std::string& text, std::size_t end, Mark mark) {
  if (text.size() <= 2 * end + k_worth_cutting) return text;
  auto head = utf8_prefix(text, end);
  auto tail = utf8_suffix(text, end);
  const auto cut = text.size() - head.size() - tail.size();
  return head + "\n" + mark(cut) + "\n" + tail;
}

std::string output_mark(std::size_t cut) {
  return fmt::format("[compacted: {} characters of this turn's output cut to fit the root "
                     "model's window]",
                     with_commas(cut));
}

std::string compact_output(const std::string& text, int level) {
  if (level == 1) return cut_middle(text, k_kept_output_end, output_mark);
  if (text.size() <= k_kept_note + k_worth_cutting) return text;
  const auto head = utf8_prefix(text, k_kept_note);
  return head + "\n" + output_mark(text.size() - head.size());
}

// The reply's code blocks with the prose around them dropped (at level 2 long code is cut to
// its ends too); a reply with no code keeps its start.
std::string compact_reply(const std::string& text, int level) {
  const auto code = parse_reply(text).code;
  if (code.empty()) return compact_output(text, 2);
  std::string out;
  for (const auto& block : code) {
    const auto kept = level < 2 ? block : cut_middle(block, k_kept_code_end, [](std::size_t cut) {
      return fmt::format("-- [compacted: {} characters of this code cut]", with_commas(cut));
    });
    out += "```lua\n" + kept + (kept.ends_with('\n') ? "" : "\n") + "```\n";
  }
  if (out.size() + k_worth_cutting > text.size()) return level < 2 ? text : out;
  return out + fmt::format("[compacted: {} characters of prose around the code cut]",
                           with_commas(text.size() - out.size()));
}

} // namespace

std::size_t feedback_limit(std::size_t max_feedback_bytes, std::optional<std::int64_t> root_room) {
  if (!root_room) return max_feedback_bytes;
  const auto third = static_cast<std::size_t>(std::max<std::int64_t>(0, *root_room / 3));
  return std::min(max_feedback_bytes, std::max(third, k_min_feedback_chars));
}

std::int64_t conversation_chars(const std::vector<providers::Message>& messages) {
  std::int64_t chars = 0;
  for (const auto& m : messages)
    chars = saturating_add(chars, static_cast<std::int64_t>(m.content.size()) +
                                      k_template_chars_per_message);
  return chars;
}

void History::push(providers::Message message) {
  if (message.role == "assistant") m_levels.push_back(0);
  m_messages.push_back(std::move(message));
}

std::vector<History::TurnSpan> History::turns() const {
  std::vector<TurnSpan> spans;
  for (std::size_t i = 0; i < m_messages.size(); ++i) {
    if (m_messages[i].role != "assistant") continue;
    if (!spans.empty()) spans.back().end = i;
    spans.push_back({i, m_messages.size()});
  }
  return spans;
}

namespace {

std::int64_t message_chars(std::size_t content_size) {
  return static_cast<std::int64_t>(content_size) + k_template_chars_per_message;
}

std::string compacted(const providers::Message& m, int level) {
  if (level == 0) return m.content;
  return m.role == "assistant" ? compact_reply(m.content, level) : compact_output(m.content, level);
}

// What the briefing gains when turns were left out.
std::string dropped_note(int dropped, std::size_t dropped_chars) {
  return fmt::format("\n\n[compacted: the first {} turn{} ({} characters) left out to fit the "
                     "root model's window; the REPL still holds every variable they set]",
                     dropped, dropped == 1 ? "" : "s", with_commas(dropped_chars));
}

} // namespace

std::int64_t History::turn_chars(const TurnSpan& span, int level) const {
  if (level >= k_dropped) return 0;
  std::int64_t chars = 0;
  for (auto i = span.first; i < span.end; ++i) {
    const auto& m = m_messages[i];
    chars += message_chars(level == 0 ? m.content.size() : compacted(m, level).size());
  }
  return chars;
}

History::Dropped History::dropped(const std::vector<TurnSpan>& spans) const {
  Dropped out;
  for (std::size_t t = 0; t < spans.size(); ++t) {
    if (m_levels[t] < k_dropped) continue;
    ++out.turns;
    for (auto i = spans[t].first; i < spans[t].end; ++i) out.chars += m_messages[i].content.size();
  }
  return out;
}

std::int64_t History::head_chars(const std::vector<TurnSpan>& spans) const {
  const auto head = spans.empty() ? m_messages.size() : spans.front().first;
  std::int64_t chars = 0;
  for (std::size_t i = 0; i < head; ++i) chars += message_chars(m_messages[i].content.size());
  const auto gone = dropped(spans);
  if (gone.turns > 0 && head > 0)
    chars += static_cast<std::int64_t>(dropped_note(gone.turns, gone.chars).size());
  return chars;
}

std::vector<providers::Message> History::view() const {
  const auto spans = turns();
  const auto head = spans.empty() ? m_messages.size() : spans.front().first;
  std::vector<providers::Message> out(m_messages.begin(),
                                      m_messages.begin() + static_cast<std::ptrdiff_t>(head));
  for (std::size_t t = 0; t < spans.size(); ++t) {
    if (m_levels[t] >= k_dropped) continue;
    for (auto i = spans[t].first; i < spans[t].end; ++i)
      out.push_back({m_messages[i].role, compacted(m_messages[i], m_levels[t])});
  }
  const auto gone = dropped(spans);
  if (gone.turns > 0 && head > 0) out[head - 1].content += dropped_note(gone.turns, gone.chars);
  return out;
}

std::optional<std::size_t> History::raise_one(std::size_t count, std::size_t whole_turns) {
  if (count <= whole_turns) return std::nullopt;
  const auto older = m_levels.begin() + static_cast<std::ptrdiff_t>(count - whole_turns);
  const auto lowest = std::min_element(m_levels.begin(), older); // the oldest of the lowest
  if (*lowest >= k_dropped) return std::nullopt;
  ++*lowest;
  return static_cast<std::size_t>(lowest - m_levels.begin());
}

// Sizes are kept per turn, so a step costs the one turn it changes, not the whole view.
std::optional<CompactionRecord> History::fit(std::int64_t limit_chars, std::string reason) {
  const auto spans = turns();
  std::vector<std::int64_t> costs;
  std::int64_t turns_total = 0;
  for (std::size_t t = 0; t < spans.size(); ++t) {
    costs.push_back(turn_chars(spans[t], m_levels[t]));
    turns_total += costs.back();
  }
  const auto before = head_chars(spans) + turns_total;
  if (before <= limit_chars) return std::nullopt;
  const auto target = limit_chars / 100 * k_refill_percent;
  auto now = before;
  for (auto whole = static_cast<std::size_t>(k_whole_turns); now > target;) {
    if (const auto t = raise_one(spans.size(), whole)) {
      turns_total -= costs[*t];
      costs[*t] = turn_chars(spans[*t], m_levels[*t]);
      turns_total += costs[*t];
      now = head_chars(spans) + turns_total;
    } else if (whole > 1) {
      --whole; // the older of the newest turns too, as a last resort; never the newest
    } else {
      break;
    }
  }
  if (now == before) return std::nullopt;
  CompactionRecord record{.reason = std::move(reason),
                          .limit_chars = limit_chars,
                          .chars_before = before,
                          .chars_after = now,
                          .turns_compacted = 0,
                          .turns_dropped = 0,
                          .fits = now <= limit_chars};
  for (const int level : m_levels) {
    record.turns_compacted += level > 0 ? 1 : 0;
    record.turns_dropped += level >= k_dropped ? 1 : 0;
  }
  return record;
}

std::optional<std::string> compaction_note(const std::vector<CompactionRecord>& compactions) {
  if (compactions.empty()) return std::nullopt;
  const auto& last = compactions.back(); // its counts are the conversation's as now sent
  const int shortened = last.turns_compacted;
  const int dropped = last.turns_dropped;
  const auto turns = [](int n) { return n == 1 ? std::string("turn") : std::string("turns"); };
  const auto what = dropped == 0 ? fmt::format("{} earlier {} {} shortened", shortened,
                                               turns(shortened), shortened == 1 ? "was" : "were")
                    : dropped == shortened
                        ? fmt::format("the oldest {} {} {} left out", dropped, turns(dropped),
                                      dropped == 1 ? "was" : "were")
                        : fmt::format("{} earlier turns were shortened and the oldest {} of "
                                      "them left out",
                                      shortened, dropped);
  return fmt::format("To fit your context window, {} (each cut is marked [compacted: ...]). "
                     "Every variable they set is still in the REPL: print it again if you need "
                     "it.",
                     what);
}

} // namespace rlm::loop
