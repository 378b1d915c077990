#include "rlm/providers/reasoning.hpp"

#include "thinking_request.hpp"

#include <algorithm>

namespace rlm::providers {

namespace {

constexpr std::string_view k_open = "<think>";
constexpr std::string_view k_close = "</think>";

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

void add_part(std::string& to, std::string_view part) {
  part = trim(part);
  if (part.empty()) return;
  if (!to.empty()) to += "\n\n";
  to += part;
}

// The reasoning's share of the completion tokens, by characters: Ollama's eval_count and
// llama.cpp's completion_tokens count both parts together.
std::int64_t estimated_reasoning_tokens(const ChatResponse& r) {
  const auto reasoning = static_cast<double>(r.thinking.size());
  const auto all = reasoning + static_cast<double>(r.text.size());
  if (r.usage.completion_tokens <= 0 || all <= 0) return 0;
  return static_cast<std::int64_t>(static_cast<double>(r.usage.completion_tokens) * reasoning /
                                   all);
}

} // namespace

SplitText split_reasoning(std::string_view text) {
  SplitText out;
  const auto first_open = text.find(k_open);
  const auto first_close = text.find(k_close);
  if (first_open == std::string_view::npos && first_close == std::string_view::npos)
    return {{}, std::string(text)};
  std::size_t at = 0;
  if (first_close < first_open) { // the template opened the block in the prompt
    add_part(out.reasoning, text.substr(0, first_close));
    at = first_close + k_close.size();
  }
  std::string answer;
  while (at < text.size()) {
    const auto open = text.find(k_open, at);
    answer += text.substr(at, open == std::string_view::npos ? text.size() - at : open - at);
    if (open == std::string_view::npos) break;
    const auto inside = open + k_open.size();
    const auto close = text.find(k_close, inside);
    add_part(out.reasoning,
             text.substr(inside,
                         close == std::string_view::npos ? text.size() - inside : close - inside));
    if (close == std::string_view::npos) break; // cut while thinking: the rest is reasoning
    at = close + k_close.size();
  }
  out.answer = std::string(trim(answer));
  return out;
}

void separate_reasoning(ChatResponse& response) {
  if (response.text.find("think>") != std::string::npos) {
    auto split = split_reasoning(response.text);
    if (!split.reasoning.empty()) {
      if (!response.thinking.empty()) response.thinking += "\n\n";
      response.thinking += split.reasoning;
    }
    response.text = std::move(split.answer);
  }
  auto& usage = response.usage;
  if (usage.reasoning_tokens == 0 && !blank(response.thinking)) {
    usage.reasoning_tokens = estimated_reasoning_tokens(response);
    usage.reasoning_estimated = true;
  }
  if (usage.completion_tokens > 0)
    usage.reasoning_tokens = std::min(usage.reasoning_tokens, usage.completion_tokens);
}

bool reasoning_only(const ChatResponse& response) {
  return blank(response.text) && !blank(response.thinking);
}

std::int64_t completion_limit(const config::ProviderConfig& settings, const ChatRequest& request,
                              bool saw_reasoning) {
  if (request.max_tokens) return *request.max_tokens;
  const bool reasons = settings.think ? config::thinks(*settings.think) : saw_reasoning;
  return reasons ? std::max(settings.max_tokens, k_reasoning_max_tokens) : settings.max_tokens;
}

void add_ollama_think(nlohmann::json& body, const config::ProviderConfig& settings) {
  if (!settings.think) return;
  const auto think = *settings.think;
  if (think == config::Think::on || think == config::Think::off) {
    body["think"] = think == config::Think::on;
  } else {
    body["think"] = config::to_string(think);
  }
}

void add_openai_think(nlohmann::json& body, const config::ProviderConfig& settings) {
  if (!settings.think) return;
  const auto think = *settings.think;
  const bool on = config::thinks(think);
  if (settings.type == config::ProviderType::deepseek) {
    body["thinking"] = {{"type", on ? "enabled" : "disabled"}};
  } else {
    body["chat_template_kwargs"] = {{"enable_thinking", on}};
  }
  if (think != config::Think::on && think != config::Think::off)
    body["reasoning_effort"] = config::to_string(think);
}

} // namespace rlm::providers
