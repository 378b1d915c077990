#include "rlm/providers/factory.hpp"

#include "rlm/providers/ollama.hpp"
#include "rlm/providers/openai.hpp"

namespace rlm::providers {

std::unique_ptr<Provider> make_provider(const config::ProviderConfig& settings,
                                        const config::HttpSettings& http,
                                        http::Transport& transport, const Environment& env) {
  if (settings.type == config::ProviderType::ollama)
    return std::make_unique<OllamaProvider>(settings, http, transport);
  return std::make_unique<OpenAiProvider>(settings, http, transport, env);
}

std::unique_ptr<Pool> make_pool(const config::Config& config, http::Transport& transport,
                                const Environment& env) {
  std::vector<std::unique_ptr<Provider>> providers;
  for (const auto& p : config.providers)
    providers.push_back(make_provider(p, config.http, transport, env));
  PoolOptions options;
  options.retry.max_retries = static_cast<int>(config.http.max_retries);
  options.retry.max_delay_seconds = config.http.max_retry_delay_seconds;
  return std::make_unique<Pool>(std::move(providers), std::move(options));
}

} // namespace rlm::providers
