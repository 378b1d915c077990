// The first user message of an RLM run: what the document is (size, files, a preview), the
// budgets, and the question. The document itself never enters the prompt.
#pragma once

#include "rlm/document/document_set.hpp"
#include "rlm/util/display.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace rlm::loop {

// What the system prompt and the briefing state, from the settings and what the providers
// know of their windows: what the model is told is what rlm enforces.
struct PromptNumbers {
  std::int64_t max_iterations = 20;
  std::int64_t sub_calls = 50;                    // left for this run
  std::size_t output_chars = 20000;               // printed output fed back per turn
  std::optional<std::int64_t> sub_prompt_chars;   // what fits the sub model's window
  std::optional<std::int64_t> root_window_tokens; // chooses the compact prompt under "auto"
  std::string budgets;                            // the user's budgets, "" when none is set
};

// The sub-call prompt limit stated when no sub model's window is known.
inline constexpr std::int64_t k_unknown_window_prompt_chars = 100'000;

// The limits line: "sub-call prompts at most N characters (...)".
std::string sub_prompt_limit(std::optional<std::int64_t> chars);

// `preview_chars` characters from the start of the document (and the end, for long ones).
std::string briefing(const document::DocumentSet& documents, const std::string& query,
                     const PromptNumbers& numbers, std::size_t preview_chars = 600);

// At most `max_bytes` of `text`, never cutting a UTF-8 character; from the end when
// `from_end`.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);
std::string utf8_suffix(std::string_view text, std::size_t max_bytes);

} // namespace rlm::loop
