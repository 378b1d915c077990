// A provider with the call cache in front: a deterministic request (temperature 0) is
// answered from the cache when it was answered before, and a complete answer is stored after
// the provider gives it. The pool still chooses, retries and accounts: this is not a second
// retry path, only a lookup before the call and a store after a success.
#pragma once

#include "rlm/providers/call_cache.hpp"
#include "rlm/providers/provider.hpp"

#include <memory>
#include <optional>
#include <string>

namespace rlm::providers {

// The cache key of `request` sent to `settings`' provider: canonical JSON of everything that
// changes the answer (provider type, base URL, model and its digest where the server gives
// one, temperature, max tokens, context length, think, stop sequences, the messages), never a
// key or a header. Nothing when the call is not deterministic (a temperature above 0: rlm has
// no seed to pin it).
std::optional<std::string> call_cache_key(const config::ProviderConfig& settings,
                                          const ChatRequest& request,
                                          const std::optional<std::string>& digest = {});

class CachingProvider final : public Provider {
public:
  CachingProvider(std::unique_ptr<Provider> inner, std::shared_ptr<CallCache> cache);

  std::expected<ChatResponse, ProviderError> chat(const ChatRequest& request) override;
  const config::ProviderConfig& settings() const override { return m_inner->settings(); }
  std::optional<std::int64_t> prompt_room_chars() override { return m_inner->prompt_room_chars(); }
  std::optional<std::int64_t> window_tokens() override { return m_inner->window_tokens(); }
  std::optional<std::string> model_digest() override { return m_inner->model_digest(); }
  std::int64_t concurrency() override { return m_inner->concurrency(); }

private:
  std::unique_ptr<Provider> m_inner;
  std::shared_ptr<CallCache> m_cache;
};

} // namespace rlm::providers
