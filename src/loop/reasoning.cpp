#include "reasoning.hpp"

#include "recorded_text.hpp"

#include "rlm/providers/reasoning.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

namespace rlm::loop {

namespace {

// "stopped at the 8,192-token limit" or "ended", as the reply did.
std::string how_it_ended(const providers::ChatResponse& response) {
  if (response.cut_short())
    return fmt::format("stopped at the {}-token limit", with_commas(response.max_tokens));
  return "ended";
}

} // namespace

std::string recorded_reasoning(std::string_view reasoning) {
  auto recorded = recorded_text(reasoning, k_recorded_reasoning_bytes);
  if (recorded.cut == 0) return std::move(recorded.text);
  return recorded.text +
         fmt::format("\n[reasoning cut: {} more bytes not recorded]", with_commas(recorded.cut));
}

void record_reasoning(IterationRecord& record, const providers::ChatResponse& response) {
  record.reasoning_chars = response.thinking.size();
  record.reasoning = recorded_reasoning(response.thinking);
}

std::optional<NoCode> reasoning_only_nudge(const providers::ChatResponse& response) {
  if (!providers::reasoning_only(response)) return std::nullopt;
  const auto ended = how_it_ended(response);
  return NoCode{fmt::format("Your reply was all reasoning and {} before any code or answer. "
                            "Think less: write the ```lua block now (one short step), or "
                            "FINAL(answer) if you already know it.",
                            ended),
                fmt::format("a reply that was all reasoning ({})", ended)};
}

std::string no_answer_after_reasoning(const providers::ChatResponse& response,
                                      std::string_view role) {
  return fmt::format("the {} model reasoned ({} characters) and {} without writing an answer; "
                     "ask a smaller question, or raise max_tokens for the {} provider",
                     role, with_commas(response.thinking.size()), how_it_ended(response), role);
}

} // namespace rlm::loop
