// Ollama's native /api/chat. rlm sizes options.num_ctx itself (Ollama's default window is
// small and overflow is silently truncated with 200 OK), sends truncate:false, and compares
// the server's prompt_eval_count with its own estimate to catch truncation anyway.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/providers/context_window.hpp"
#include "rlm/providers/provider.hpp"

#include <atomic>
#include <mutex>
#include <optional>

namespace rlm::providers {

class OllamaProvider final : public Provider {
public:
  OllamaProvider(config::ProviderConfig settings, const config::HttpSettings& http,
                 http::Transport& transport);

  std::expected<ChatResponse, ProviderError> chat(const ChatRequest& request) override;
  const config::ProviderConfig& settings() const override { return m_settings; }

  // The model's context length: from the config, else asked once from /api/show.
  std::expected<std::int64_t, ProviderError> context_length();
  std::optional<std::int64_t> prompt_room_chars() override;
  std::optional<std::int64_t> window_tokens() override {
    const auto length = context_length();
    return length ? std::optional(*length) : std::nullopt;
  }
  // The digest /api/tags lists for the model, asked once; nothing when the server does not
  // list it (asked again next run).
  std::optional<std::string> model_digest() override;

private:
  http::Request base_request(const std::string& path) const;
  std::string server() const;
  // An HTTP error status (or, as 0, an error line inside a 200 stream) as a ProviderError.
  ProviderError refusal(long status, const std::string& message,
                        const http::Response* response) const;

  config::ProviderConfig m_settings;
  http::Timeouts m_timeouts;
  http::Transport& m_transport;
  std::mutex m_mutex;
  std::optional<std::int64_t> m_context_length;
  std::optional<std::optional<std::string>> m_digest; // outer: asked yet
  TokenEstimator m_estimator;
  std::atomic<bool> m_saw_reasoning{false}; // a reply held reasoning: the model thinks
};

} // namespace rlm::providers
