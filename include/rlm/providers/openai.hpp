// OpenAI-compatible /chat/completions: DeepSeek's API, llama.cpp's server, vLLM, LM Studio.
// Streams with SSE (keep-alive comments and blank lines skipped), always sends max_tokens,
// reads DeepSeek's cache-hit tokens, and takes the key from the environment only.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/providers/context_window.hpp"
#include "rlm/providers/provider.hpp"
#include "rlm/util/environment.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

namespace rlm::providers {

class OpenAiProvider final : public Provider {
public:
  OpenAiProvider(config::ProviderConfig settings, const config::HttpSettings& http,
                 http::Transport& transport, const Environment& env);

  std::expected<ChatResponse, ProviderError> chat(const ChatRequest& request) override;
  const config::ProviderConfig& settings() const override { return m_settings; }

  // The window the server serves (llama.cpp's per-slot n_ctx, vLLM's max_model_len, asked
  // once), capped by the config's context_length; nothing when neither says.
  std::optional<std::int64_t> window();
  std::optional<std::int64_t> prompt_room_chars() override;
  std::optional<std::int64_t> window_tokens() override { return window(); }
  // llama.cpp's slots (/props total_slots); an API or another server takes many at once.
  std::int64_t concurrency() override;
  static constexpr std::int64_t k_api_concurrency = 16;
  // What the server said of its window, once window() has asked.
  std::optional<ServedWindow> served_window() {
    const std::lock_guard lock(m_mutex);
    return m_served;
  }

private:
  // Whether the server can count tokens (llama.cpp's /tokenize), as window() found out.
  bool counts_tokens() {
    const std::lock_guard lock(m_mutex);
    return m_served && m_served->llama_cpp;
  }
  // The tokens of the messages' text as llama.cpp's /tokenize counts them; nothing when the
  // server cannot say.
  std::optional<std::int64_t> count_tokens(const std::vector<Message>& messages);
  // An HTTP error status (or the code of an error inside a 200 reply; 0 when it gave none)
  // as a ProviderError.
  ProviderError refusal(long status, const std::string& message,
                        const http::Response* response) const;

  config::ProviderConfig m_settings;
  http::Timeouts m_timeouts;
  http::Transport& m_transport;
  std::string m_authorization; // "Authorization: Bearer ..." or empty; never logged
  std::mutex m_mutex;
  std::optional<ServedWindow> m_served; // asked once, when the server first answers
  std::optional<std::chrono::steady_clock::time_point> m_probe_failed_at;
  TokenEstimator m_estimator;
  std::atomic<bool> m_saw_reasoning{false}; // a reply held reasoning: the model thinks
};

} // namespace rlm::providers
