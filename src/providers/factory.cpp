#include "rlm/providers/factory.hpp"

#include "rlm/providers/caching_provider.hpp"
#include "rlm/providers/ollama.hpp"
#include "rlm/providers/openai.hpp"

#include <spdlog/spdlog.h>

namespace rlm::providers {

std::unique_ptr<Provider> make_provider(const config::ProviderConfig& settings,
                                        const config::HttpSettings& http,
                                        http::Transport& transport, const Environment& env) {
  if (settings.type == config::ProviderType::ollama)
    return std::make_unique<OllamaProvider>(settings, http, transport);
  return std::make_unique<OpenAiProvider>(settings, http, transport, env);
}

std::shared_ptr<CallCache> open_call_cache(const config::CacheSettings& settings,
                                           const Environment& env) {
  if (!settings.enabled) return nullptr;
  CallCacheOptions options;
  options.max_bytes = settings.max_size_mb << 20;
  auto cache = CallCache::open(call_cache_path(settings.path, env), options);
  if (!cache) {
    spdlog::warn("call cache: {}; going on without the cache", cache.error());
    return nullptr;
  }
  return std::move(*cache);
}

std::unique_ptr<Pool> make_pool(const config::Config& config, http::Transport& transport,
                                const Environment& env) {
  const auto cache = open_call_cache(config.cache, env);
  std::vector<std::unique_ptr<Provider>> providers;
  for (const auto& p : config.providers) {
    auto provider = make_provider(p, config.http, transport, env);
    if (cache) provider = std::make_unique<CachingProvider>(std::move(provider), cache);
    providers.push_back(std::move(provider));
  }
  PoolOptions options;
  options.retry.max_retries = static_cast<int>(config.http.max_retries);
  options.retry.max_delay_seconds = config.http.max_retry_delay_seconds;
  return std::make_unique<Pool>(std::move(providers), std::move(options));
}

} // namespace rlm::providers
