// OpenAI-compatible /chat/completions: DeepSeek's API, llama.cpp's server, vLLM, LM Studio.
// Streams with SSE (keep-alive comments and blank lines skipped), always sends max_tokens,
// reads DeepSeek's cache-hit tokens, and takes the key from the environment only.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/providers/provider.hpp"
#include "rlm/util/environment.hpp"

namespace rlm::providers {

class OpenAiProvider final : public Provider {
public:
  OpenAiProvider(config::ProviderConfig settings, const config::HttpSettings& http,
                 http::Transport& transport, const Environment& env);

  std::expected<ChatResponse, ProviderError> chat(const ChatRequest& request) override;
  const config::ProviderConfig& settings() const override { return m_settings; }

private:
  ProviderError from_status(const http::Response& response, std::string_view body) const;

  config::ProviderConfig m_settings;
  http::Timeouts m_timeouts;
  http::Transport& m_transport;
  std::string m_authorization; // "Authorization: Bearer ..." or empty; never logged
};

} // namespace rlm::providers
