#include "system_prompt.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace rlm::loop {

bool wants_compact_prompt(config::PromptStyle style, std::optional<std::int64_t> root_window) {
  if (style != config::PromptStyle::automatic) return style == config::PromptStyle::compact;
  return root_window && *root_window <= config::k_compact_prompt_window;
}

std::int64_t example_chunk_chars(std::optional<std::int64_t> sub_prompt_chars) {
  const auto room = sub_prompt_chars.value_or(k_unknown_window_prompt_chars) - 1'000;
  return std::clamp<std::int64_t>(room / 1'000 * 1'000, 1'000, 80'000);
}

std::string user_tools_text(const std::vector<lua::ToolFile>& tools) {
  if (tools.empty()) return "";
  std::string list;
  for (const auto& tool : tools) {
    // The file's name only: a path may say more of the user's machine than the model needs.
    list += "\n  - " + std::filesystem::path(tool.name).filename().string() + ":";
    const auto description = lua::tool_description(tool);
    if (description.empty()) list += " (no description)";
    std::size_t at = 0;
    while (at < description.size()) {
      auto end = std::min(description.find('\n', at), description.size());
      list += "\n    " + description.substr(at, end - at);
      at = end + 1;
    }
  }
  if (list.size() > k_max_user_tools_chars) {
    const auto kept = utf8_prefix(list, k_max_user_tools_chars);
    list = kept + fmt::format("\n    [descriptions cut: {} more characters]",
                              with_commas(list.size() - kept.size()));
  }
  return "\n- The user's own tools, already loaded (call them like the ones above):" + list;
}

std::string system_prompt(const Prompts& prompts, config::PromptStyle style,
                          const PromptNumbers& numbers, const std::vector<lua::ToolFile>& tools) {
  const bool compact =
      wants_compact_prompt(style, numbers.root_window_tokens) && !prompts.system_compact.empty();
  return fill(compact ? prompts.system_compact : prompts.system,
              {{"max_iterations", std::to_string(numbers.max_iterations)},
               {"max_sub_calls", std::to_string(numbers.sub_calls)},
               {"output_chars", with_commas(numbers.output_chars)},
               {"sub_prompt_limit", sub_prompt_limit(numbers.sub_prompt_chars)},
               {"chunk_chars", std::to_string(example_chunk_chars(numbers.sub_prompt_chars))},
               {"user_tools", user_tools_text(tools)}});
}

} // namespace rlm::loop
