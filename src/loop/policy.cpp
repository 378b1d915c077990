#include "policy.hpp"

#include "rlm/loop/briefing.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace rlm::loop {

std::string cut_short_note(std::int64_t max_tokens) {
  return fmt::format("Your reply stopped at the {}-token limit before it ended; write shorter "
                     "replies (one code block, little prose).",
                     max_tokens);
}

std::optional<std::string> repeated_code_note(std::set<std::string>& seen,
                                              const std::vector<std::string>& code) {
  std::string all_code;
  for (const auto& c : code) all_code += c;
  if (seen.insert(std::move(all_code)).second) return std::nullopt;
  return "You ran exactly this code before; its output is above. Try something different, or "
         "finish with FINAL.";
}

NoCode no_code(const Reply& reply) {
  if (!reply.other_language.empty()) {
    const auto& language = reply.other_language.front();
    return {fmt::format("Your ```{} block was not run: only ```lua blocks run, in a Lua 5.4 "
                        "REPL. Rewrite it in Lua.",
                        language),
            fmt::format("a ```{} block instead of Lua", language)};
  }
  return {"Your reply had no code. Reply with one ```lua block: start with something like "
          "`print(context_chars, line(1))`, and call FINAL(answer) once you know the answer.",
          "a reply without code"};
}

std::optional<std::string> mixed_languages_note(const Reply& reply) {
  if (reply.code.empty() || reply.other_language.empty()) return std::nullopt;
  return fmt::format("Only the ```lua blocks ran; the ```{} block did not.",
                     reply.other_language.front());
}

std::string turned_back_note(std::uint64_t document_chars) {
  return fmt::format("Not accepted yet: you answered without examining the document ({} "
                     "characters), so the answer is a guess. Look at the document with code "
                     "first (print parts of it, search it); then call FINAL again.",
                     with_commas(document_chars));
}

AnswerVerdict judge_answer(bool looked, bool turned_back_before) {
  return looked || turned_back_before ? AnswerVerdict::accept : AnswerVerdict::turn_back;
}

int next_failed_streak(int streak, bool any_ok, bool any_failed) {
  return any_failed && !any_ok ? streak + 1 : 0;
}

bool streak_ends_run(int streak, int limit) { return streak >= limit; }

std::string error_streak_message(int streak, std::string_view last_error) {
  return fmt::format("the root model failed {} turns in a row (last: {}); try a stronger root "
                     "model",
                     streak, utf8_prefix(last_error, 300));
}

std::string cut_output(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const auto dropped = text.size() - max_bytes;
  text = utf8_prefix(text, max_bytes);
  return text + fmt::format("\n[output truncated: {} more bytes not shown; print less, or "
                            "summarise with code]",
                            dropped);
}

std::string feedback_message(std::string_view output, bool ran_code,
                             const std::vector<std::string>& notes, std::size_t max_output_bytes,
                             const TurnCounts& counts) {
  std::string feedback = output.empty()
                             ? std::string(ran_code ? "(the code printed nothing)\n" : "")
                             : "Output:\n" + cut_output(std::string(output), max_output_bytes);
  for (const auto& note : notes) feedback += "\n" + note + "\n";
  feedback += fmt::format("\n[turn {} of {} done; sub-calls left: {} of {}{}{}]", counts.turn,
                          counts.max_turns, counts.sub_calls_left, counts.sub_calls_limit,
                          counts.budgets_left.empty() ? "" : "; ", counts.budgets_left);
  return feedback;
}

std::string max_iterations_message(std::int64_t max_iterations) {
  return fmt::format("max_iterations ({}) reached; the answer is the model's best effort from "
                     "what it found",
                     max_iterations);
}

std::string strip_fences(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    if (!line.starts_with("```")) out.append(line).push_back('\n');
    at = end + 1;
  }
  const auto blank = [](char c) { return c == '\n' || c == ' '; };
  while (!out.empty() && blank(out.back())) out.pop_back();
  std::size_t first = 0;
  while (first < out.size() && blank(out[first])) ++first;
  return out.substr(first);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::ranges::all_of(
      s, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

} // namespace rlm::loop
