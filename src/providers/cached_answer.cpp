#include "cached_answer.hpp"

#include "rlm/util/untrusted_json.hpp"

#include <nlohmann/json.hpp>

namespace rlm::providers {

using nlohmann::json;

std::string encode_cached_answer(const ChatResponse& r) {
  const auto& u = r.usage;
  return json{{"text", r.text},
              {"thinking", r.thinking},
              {"finish_reason", r.finish_reason},
              {"max_tokens", r.max_tokens},
              {"usage",
               {{"prompt_tokens", u.prompt_tokens},
                {"cached_tokens", u.cached_tokens},
                {"completion_tokens", u.completion_tokens},
                {"reasoning_tokens", u.reasoning_tokens},
                {"reasoning_estimated", u.reasoning_estimated}}}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ChatResponse> decode_cached_answer(std::string_view text) {
  const auto entry = parse_untrusted_json(text);
  if (!entry) return std::nullopt;
  const auto* answer = json_field::string(*entry, "text");
  const auto* thinking = json_field::string(*entry, "thinking");
  const auto* finish = json_field::string(*entry, "finish_reason");
  const auto* usage = json_field::object(*entry, "usage");
  if (answer == nullptr || thinking == nullptr || finish == nullptr || usage == nullptr)
    return std::nullopt;
  ChatResponse r;
  r.text = *answer;
  r.thinking = *thinking;
  r.finish_reason = *finish;
  r.max_tokens = json_field::count(*entry, "max_tokens").value_or(0);
  r.usage.prompt_tokens = json_field::count(*usage, "prompt_tokens").value_or(0);
  r.usage.cached_tokens = json_field::count(*usage, "cached_tokens").value_or(0);
  r.usage.completion_tokens = json_field::count(*usage, "completion_tokens").value_or(0);
  r.usage.reasoning_tokens = json_field::count(*usage, "reasoning_tokens").value_or(0);
  r.usage.reasoning_estimated = json_field::boolean(*usage, "reasoning_estimated").value_or(false);
  r.cached = true;
  return r;
}

} // namespace rlm::providers
