// The root conversation, kept whole, and the view of it that is sent: when the view nears
// the root model's window, older turns are compacted instead of the request failing.
//
// A turn is an assistant reply and the user messages after it (its feedback; after the last
// turn, the final call's prompt). The system prompt, the briefing and the newest turns are
// never touched. Older turns are compacted one step at a time, oldest first, in three
// levels: (1) the output is cut to its head and tail and the prose around the code dropped,
// (2) the output becomes a one-line note and long code is cut to its head and tail, (3) the
// turn is dropped, the briefing saying how many were. A turn's level only rises, so the view
// stays the same from one compaction to the next (a server's prompt cache keeps its prefix).
// Every cut is marked with the characters it took; the turn's feedback (compaction_note) says
// that the REPL's variables still hold everything.
#pragma once

#include "rlm/loop/run.hpp"
#include "rlm/providers/provider.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlm::loop {

// The characters a message costs beyond its text (the chat template), in the units the
// limits are given in: providers::k_template_tokens_per_message at 3 characters a token.
inline constexpr std::int64_t k_template_chars_per_message = 48;
// How many of the newest turns stay whole while older ones can still be compacted.
inline constexpr int k_whole_turns = 2;

// The output a turn feeds back: max_feedback_bytes, or less when the root model's prompt
// room is known and small, so that the newest turn (which is never compacted) takes at most
// a third of it; never under k_min_feedback_chars.
inline constexpr std::size_t k_min_feedback_chars = 2'000;
std::size_t feedback_limit(std::size_t max_feedback_bytes, std::optional<std::int64_t> root_room);

// The characters `messages` cost: their text and the template's share.
std::int64_t conversation_chars(const std::vector<providers::Message>& messages);

class History {
public:
  void push(providers::Message message);
  // What is sent: the messages with each turn at its level of compaction.
  std::vector<providers::Message> view() const;
  const std::vector<providers::Message>& whole() const { return m_messages; }

  // Compacts older turns, a step at a time, until the view costs at most `target_chars`
  // (conversation_chars); nothing when it already does. The record says what was done and
  // whether it now fits (it may not: the newest turn alone can be too long).
  std::optional<CompactionRecord> fit(std::int64_t target_chars, std::string reason);

private:
  struct TurnSpan {
    std::size_t first = 0; // the assistant message
    std::size_t end = 0;   // one past its last user message
  };
  struct Dropped {
    int turns = 0;
    std::size_t chars = 0; // their messages' text
  };
  std::vector<TurnSpan> turns() const;
  std::int64_t turn_chars(const TurnSpan& span, int level) const; // its cost at `level`
  Dropped dropped(const std::vector<TurnSpan>& spans) const;
  std::int64_t head_chars(const std::vector<TurnSpan>& spans) const; // with the dropped note
  // One step of compaction among the `count` turns: the turn raised, or nothing when none is
  // left to raise outside the newest `whole_turns`.
  std::optional<std::size_t> raise_one(std::size_t count, std::size_t whole_turns);

  std::vector<providers::Message> m_messages;
  std::vector<int> m_levels; // per turn, oldest first: 0 whole … 3 dropped
};

// What the model reads after a request for which the conversation was compacted: that older
// turns were shortened, and that the REPL still holds what they set. Nothing when none was.
std::optional<std::string> compaction_note(const std::vector<CompactionRecord>& compactions);

} // namespace rlm::loop
