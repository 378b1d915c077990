// The root model's system message: the full or the compact prompt (prompt_style), with the
// run's exact numbers filled in, so what the model is told is what rlm enforces.
#pragma once

#include "rlm/loop/briefing.hpp"
#include "rlm/loop/run.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace rlm::loop {

// Whether the compact prompt is the one to send.
bool wants_compact_prompt(config::PromptStyle style, std::optional<std::int64_t> root_window);

// The chunk size the prompt's examples use: one that fits a sub-call with room for an
// instruction, in round thousands, at most 80,000.
std::int64_t example_chunk_chars(std::optional<std::int64_t> sub_prompt_chars);

// What {{user_tools}} becomes: "" without tools, else a bullet listing each file with its
// leading comment, cut to k_max_user_tools_chars.
inline constexpr std::size_t k_max_user_tools_chars = 2'000;
std::string user_tools_text(const std::vector<lua::ToolFile>& tools);

std::string system_prompt(const Prompts& prompts, config::PromptStyle style,
                          const PromptNumbers& numbers,
                          const std::vector<lua::ToolFile>& tools = {});

} // namespace rlm::loop
