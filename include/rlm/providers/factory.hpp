// Builds provider clients and the run's pool from the configuration.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/providers/call_cache.hpp"
#include "rlm/providers/pool.hpp"
#include "rlm/providers/provider.hpp"
#include "rlm/util/environment.hpp"

#include <memory>

namespace rlm::providers {

// The client for one configured provider: Ollama's native API, or OpenAI-compatible for the
// deepseek and openai types.
std::unique_ptr<Provider> make_provider(const config::ProviderConfig& settings,
                                        const config::HttpSettings& http,
                                        http::Transport& transport, const Environment& env);

// The call cache [cache] asks for; nothing when it is off or cannot be opened (then after one
// warning: the run goes on uncached).
std::shared_ptr<CallCache> open_call_cache(const config::CacheSettings& settings,
                                           const Environment& env);

// Every configured provider, with the config's retry policy, behind the call cache when
// [cache] enabled is set.
std::unique_ptr<Pool> make_pool(const config::Config& config, http::Transport& transport,
                                const Environment& env);

} // namespace rlm::providers
