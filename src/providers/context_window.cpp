#include "rlm/providers/context_window.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/saturating.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rlm::providers {

namespace {

std::int64_t characters_of(const std::vector<Message>& messages) {
  std::int64_t characters = 0;
  for (const auto& m : messages)
    characters = saturating_add(characters, static_cast<std::int64_t>(m.content.size()));
  return characters;
}

std::int64_t estimate_at(const std::vector<Message>& messages, double chars_per_token) {
  const auto text = static_cast<double>(characters_of(messages)) / chars_per_token;
  const auto overhead = static_cast<std::int64_t>(messages.size()) * k_template_tokens_per_message;
  return saturating_add(static_cast<std::int64_t>(std::min(text, 4e18)), overhead) + 1;
}

} // namespace

std::int64_t TokenEstimator::estimate(const std::vector<Message>& messages) const {
  return estimate_at(messages, m_chars_per_token.load());
}

void TokenEstimator::observe(const std::vector<Message>& messages,
                             std::int64_t reported_prompt_tokens) {
  // Short prompts say more about the chat template than about the text: learn from long ones.
  constexpr std::int64_t k_min_chars = 2000;
  const auto characters = characters_of(messages);
  const auto overhead = static_cast<std::int64_t>(messages.size()) * k_template_tokens_per_message;
  if (characters < k_min_chars || reported_prompt_tokens <= overhead ||
      looks_truncated(reported_prompt_tokens, estimate(messages)))
    return;
  const double seen = static_cast<double>(characters) /
                      static_cast<double>(reported_prompt_tokens - overhead) * 0.9;
  double now = m_chars_per_token.load();
  while (seen < now && !m_chars_per_token.compare_exchange_weak(now, std::max(1.0, seen))) {
  }
}

std::expected<std::int64_t, ProviderError> fit_answer(std::int64_t estimate, std::int64_t wanted,
                                                      std::int64_t window, const std::string& who,
                                                      const std::string& fix,
                                                      double chars_per_token) {
  const auto needed = std::min(wanted, k_min_answer_tokens);
  const auto margin = std::max<std::int64_t>(32, window / 32);
  const auto room = saturating_sub(saturating_sub(window, estimate), margin);
  if (room >= needed) return std::min(wanted, room);
  // What would fit, in characters, with a tenth spare for the estimate's roughness.
  const auto tokens =
      saturating_sub(saturating_sub(window, needed), margin + 2 * k_template_tokens_per_message);
  const auto fits = std::max<std::int64_t>(
      0, static_cast<std::int64_t>(static_cast<double>(tokens) * chars_per_token * 0.9));
  ProviderError error{
      ProviderError::Kind::context_overflow,
      fmt::format("the prompt (about {} tokens) does not fit the {}-token window of {} with "
                  "room for an answer ({} tokens): keep prompts under about {} characters, or {}",
                  with_commas(estimate), with_commas(window), who, needed, with_commas(fits), fix)};
  error.fits_chars = fits;
  return std::unexpected(std::move(error));
}

std::int64_t prompt_room_chars(std::int64_t window, std::int64_t max_tokens,
                               double chars_per_token) {
  const auto answer = std::clamp<std::int64_t>(max_tokens, k_min_answer_tokens, window / 4);
  const auto margin = std::max<std::int64_t>(32, window / 32);
  const auto tokens =
      saturating_sub(saturating_sub(window, answer), margin + k_template_tokens_per_message);
  return std::max<std::int64_t>(
      0, static_cast<std::int64_t>(static_cast<double>(tokens) * chars_per_token * 0.9));
}

bool looks_truncated(std::int64_t reported_prompt_tokens, std::int64_t estimate) {
  // The estimate errs high by about a third; a count below 3/8 of it is not rounding. (Cached
  // prompt tokens are counted in the report too, so a low count means text was dropped.)
  return reported_prompt_tokens > 0 && estimate > 256 &&
         saturating_mul(reported_prompt_tokens, 8) < saturating_mul(estimate, 3);
}

std::string server_root(const std::string& base_url) {
  std::string root = base_url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (root.ends_with("/v1")) root.resize(root.size() - 3);
  return root;
}

ServedWindow probe_served_window(http::Transport& transport, const config::ProviderConfig& settings,
                                 const std::vector<std::string>& headers,
                                 const http::Timeouts& timeouts) {
  ServedWindow out;
  const auto get = [&](const std::string& url) {
    http::Request request;
    request.url = url;
    request.headers = headers;
    request.timeouts = timeouts;
    request.max_body_bytes = k_max_probe_bytes;
    return transport.perform(request);
  };
  if (const auto props = get(server_root(settings.base_url) + "/props")) {
    out.answered = true;
    const auto body = props->status == 200 ? parse_untrusted_json(props->body) : std::nullopt;
    const auto* generation =
        body ? json_field::object(*body, "default_generation_settings") : nullptr;
    if (generation != nullptr) {
      out.llama_cpp = true;
      out.serving = json_field::integer(*generation, "n_ctx", 1, k_max_external_count);
      out.slots = json_field::integer(*body, "total_slots", 1, 1 << 20);
      if (const auto* path = json_field::string(*body, "model_path")) out.model_path = *path;
      if (out.serving) out.source = "/props";
    }
  } else {
    return out; // nothing answers: the chat request will say so
  }
  if (const auto models = get(settings.base_url + "/models"); models && models->status == 200) {
    const auto body = parse_untrusted_json(models->body);
    static const nlohmann::json none = nlohmann::json::array();
    const auto* data = body ? json_field::array(*body, "data") : nullptr;
    for (const auto& entry : data != nullptr ? *data : none) {
      const auto* id = json_field::string(entry, "id");
      // llama.cpp serves one model whatever the request names.
      if (id == nullptr || (*id != settings.model && !out.llama_cpp)) continue;
      if (const auto* meta = json_field::object(entry, "meta"))
        out.trained = json_field::integer(*meta, "n_ctx_train", 1, k_max_external_count);
      if (!out.serving) {
        out.serving = json_field::integer(entry, "max_model_len", 1, k_max_external_count);
        if (out.serving) out.source = "/models";
      }
      break;
    }
  }
  return out;
}

} // namespace rlm::providers
