// Builds provider clients and the run's pool from the configuration.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
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

// Every configured provider, with the config's retry policy.
std::unique_ptr<Pool> make_pool(const config::Config& config, http::Transport& transport,
                                const Environment& env);

} // namespace rlm::providers
