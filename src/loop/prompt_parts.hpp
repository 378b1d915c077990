// A sub-call prompt too large for the sub model's window, cut into parts that each fit
// (split_oversized_prompts = true): the instruction, when the prompt's first line is a short
// one, is repeated in every part; the text is cut at line breaks where it can be. Each
// part's answer comes back labelled, in order. docs/loop.md, "Sub-call prompts larger than
// the window", says what the model sees.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::loop {

// The prompts to send in place of `prompt`, none longer than `max_chars`; nothing when
// `max_chars` leaves too little room for a useful part (or the prompt fits already).
std::optional<std::vector<std::string>> split_prompt(std::string_view prompt,
                                                     std::size_t max_chars);

// The parts' answers as one: "[part 1 of 3]\n…\n\n[part 2 of 3]\n…".
std::string join_part_answers(const std::vector<std::string>& answers);

} // namespace rlm::loop
