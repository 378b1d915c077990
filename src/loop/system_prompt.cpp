#include "system_prompt.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rlm::loop {

bool wants_compact_prompt(config::PromptStyle style, std::optional<std::int64_t> root_window) {
  if (style != config::PromptStyle::automatic) return style == config::PromptStyle::compact;
  return root_window && *root_window <= config::k_compact_prompt_window;
}

std::int64_t example_chunk_chars(std::optional<std::int64_t> sub_prompt_chars) {
  const auto room = sub_prompt_chars.value_or(k_unknown_window_prompt_chars) - 1'000;
  return std::clamp<std::int64_t>(room / 1'000 * 1'000, 1'000, 80'000);
}

std::string system_prompt(const Prompts& prompts, config::PromptStyle style,
                          const PromptNumbers& numbers) {
  const bool compact =
      wants_compact_prompt(style, numbers.root_window_tokens) && !prompts.system_compact.empty();
  return fill(compact ? prompts.system_compact : prompts.system,
              {{"max_iterations", std::to_string(numbers.max_iterations)},
               {"max_sub_calls", std::to_string(numbers.sub_calls)},
               {"output_chars", with_commas(numbers.output_chars)},
               {"sub_prompt_limit", sub_prompt_limit(numbers.sub_prompt_chars)},
               {"chunk_chars", std::to_string(example_chunk_chars(numbers.sub_prompt_chars))}});
}

} // namespace rlm::loop
