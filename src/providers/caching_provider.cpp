#include "rlm/providers/caching_provider.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace rlm::providers {

namespace {

// Answers worth giving again: complete, read in full, with text. A cut or truncated answer
// would be repeated even after the user raised the limit that cut it.
bool worth_storing(const ChatResponse& response) {
  // A reply stopped at its code block is not the whole reply the model would give.
  return !response.cut_short() && !response.prompt_truncated && !response.text.empty() &&
         !response.stopped_at;
}

} // namespace

std::optional<std::string> call_cache_key(const config::ProviderConfig& settings,
                                          const ChatRequest& request,
                                          const std::optional<std::string>& digest) {
  const double temperature = request.temperature.value_or(settings.temperature);
  if (temperature != 0.0) return std::nullopt;
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : request.messages) messages.push_back({m.role, m.content});
  // nlohmann::json keeps object keys sorted: the same call always gives the same text.
  const nlohmann::json key = {
      {"v", 1},
      {"provider_type", config::to_string(settings.type)},
      {"base_url", settings.base_url},
      {"model", settings.model},
      {"digest", digest ? nlohmann::json(*digest) : nlohmann::json(nullptr)},
      {"temperature", temperature},
      {"max_tokens", request.max_tokens.value_or(settings.max_tokens)},
      {"context_length", settings.context_length ? nlohmann::json(*settings.context_length)
                                                 : nlohmann::json(nullptr)},
      {"think", settings.think ? nlohmann::json(config::to_string(*settings.think))
                               : nlohmann::json(nullptr)},
      {"stop", request.stop},
      {"messages", messages}};
  return key.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

CachingProvider::CachingProvider(std::unique_ptr<Provider> inner, std::shared_ptr<CallCache> cache)
    : m_inner(std::move(inner)), m_cache(std::move(cache)) {}

std::expected<ChatResponse, ProviderError> CachingProvider::chat(const ChatRequest& request) {
  if (request.temperature.value_or(m_inner->settings().temperature) != 0.0)
    return m_inner->chat(request); // not deterministic: never cached, and no digest asked
  const auto key = call_cache_key(m_inner->settings(), request, m_inner->model_digest());
  if (!key) return m_inner->chat(request);
  const auto start = std::chrono::steady_clock::now();
  if (auto hit = m_cache->find(*key)) {
    hit->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(*hit);
  }
  auto answer = m_inner->chat(request);
  if (answer && worth_storing(*answer)) m_cache->store(*key, *answer);
  return answer;
}

} // namespace rlm::providers
