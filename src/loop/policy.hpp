// The loop's policies, each a small function of what a turn produced and what the run has
// seen, so each can be read, and tested (tests/unit/loop/policy_test.cpp), on its own. The
// texts here are what the root model reads; the loop (rlm_loop.cpp) decides when.
#pragma once

#include "rlm/loop/reply.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::loop {

// The system prompt's first turn figures and the per-turn footer read the same numbers.
struct TurnCounts {
  int turn = 0;
  std::int64_t max_turns = 0;
  std::int64_t sub_calls_left = 0;
  std::int64_t sub_calls_limit = 0;
  std::string budgets_left; // the user's budgets (budgets.hpp), "" when none is set
};

// A reply that stopped at the completion limit.
std::string cut_short_note(std::int64_t max_tokens);

// The same code as an earlier turn (all its blocks together): its output is already above.
// Records the code as seen.
std::optional<std::string> repeated_code_note(std::set<std::string>& seen,
                                              const std::vector<std::string>& code);

// A reply with no Lua to run: a block in another language, or no code at all. `error` is what
// counts against the error streak.
struct NoCode {
  std::string note;
  std::string error;
};
NoCode no_code(const Reply& reply);

// Lua and another language in one reply: only the Lua ran.
std::optional<std::string> mixed_languages_note(const Reply& reply);

// An answer before any cell read the document is a guess: it is turned back once, saying so.
std::string turned_back_note(std::uint64_t document_chars);
enum class AnswerVerdict { accept, turn_back };
AnswerVerdict judge_answer(bool looked, bool turned_back_before);

// Turns whose code all failed (or that had none), in a row; the run stops at the limit.
int next_failed_streak(int streak, bool any_ok, bool any_failed);
bool streak_ends_run(int streak, int limit);
std::string error_streak_message(int streak, std::string_view last_error);

// The cells' output as the model reads it, cut to `max_bytes` with a marker saying so.
std::string cut_output(std::string text, std::size_t max_bytes);

// The user message after a turn: the output (or that there was none), the notes, the counts.
std::string feedback_message(std::string_view output, bool ran_code,
                             const std::vector<std::string>& notes, std::size_t max_output_bytes,
                             const TurnCounts& counts);

std::string max_iterations_message(std::int64_t max_iterations);

// A bypass or final answer written inside a fence: the text without the fence lines.
std::string strip_fences(std::string_view text);
bool is_identifier(std::string_view s);

} // namespace rlm::loop
