// Knowing a provider's real window before sending, and fitting each request into it.
//  - The window is what the server serves, not what the model was trained for: llama.cpp
//    serves `-c` divided among its slots (/props default_generation_settings.n_ctx), vLLM its
//    max_model_len (/v1/models), Ollama the num_ctx rlm sends (within the model's length).
//  - rlm's token estimate errs high: 3 characters a token (fewer once a server's counts show
//    its text runs denser, as code and digits do), 16 tokens a message for the chat
//    template, and a margin of a 32nd of the window, so a request it lets through fits.
//  - A prompt that cannot fit with room for an answer is refused before it is sent, with the
//    number of characters that would fit; max_tokens is clamped to what is left.
//  - A reported prompt_tokens far below the estimate means the server cut the prompt.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/providers/provider.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace rlm::providers {

inline constexpr double k_chars_per_estimated_token = 3.0;
// A probe's reply (props, a listing, a token count) is small; anything larger is refused.
inline constexpr std::uint64_t k_max_probe_bytes = 8ULL << 20;
inline constexpr std::int64_t k_template_tokens_per_message = 16;
// The least room for an answer worth sending a request for (or max_tokens, when smaller).
inline constexpr std::int64_t k_min_answer_tokens = 256;

// A token estimate that errs high, for sizing windows, learned per provider: it starts at 3
// characters a token and follows the server's own counts down (never up) when they show its
// tokenizer or this text needs more tokens. Thread-safe.
class TokenEstimator {
public:
  std::int64_t estimate(const std::vector<Message>& messages) const;
  // Learns from the prompt_tokens the server reported for `messages` (not when it cut them).
  void observe(const std::vector<Message>& messages, std::int64_t reported_prompt_tokens);
  double chars_per_token() const { return m_chars_per_token.load(); }

private:
  std::atomic<double> m_chars_per_token{k_chars_per_estimated_token};
};

// The max_tokens to send so that a prompt of `estimate` tokens and the answer fit `window`
// with a margin of a 32nd of it: `wanted`, or less when less is left. A context_overflow
// error (with fits_chars) when not even k_min_answer_tokens are left. `who` names the model
// and server for the message.
std::expected<std::int64_t, ProviderError> fit_answer(std::int64_t estimate, std::int64_t wanted,
                                                      std::int64_t window, const std::string& who,
                                                      const std::string& fix,
                                                      double chars_per_token = 3.0);

// The characters of a one-message prompt that fit `window` with the margin, the template and
// room for an answer of max_tokens (at most a quarter of the window), with a tenth spare for
// the estimate's roughness: the limit the model is told for llm_query prompts.
std::int64_t prompt_room_chars(std::int64_t window, std::int64_t max_tokens,
                               double chars_per_token);

// Whether the server read far fewer prompt tokens than rlm estimates it sent.
bool looks_truncated(std::int64_t reported_prompt_tokens, std::int64_t estimate);

// What an OpenAI-compatible server says of its window.
struct ServedWindow {
  std::optional<std::int64_t> serving; // tokens per request: llama.cpp per slot, vLLM max_model_len
  std::optional<std::int64_t> trained; // llama.cpp's n_ctx_train, when listed
  std::optional<std::int64_t> slots;   // llama.cpp's total_slots
  std::string source;                  // "/props" or "/models": where `serving` came from
  bool llama_cpp = false;              // /props answered as llama.cpp's server does
  std::string model_path;              // llama.cpp's model_path, from /props
  bool answered = false;               // the server answered at all (else: try again later)
};

// base_url without a trailing "/v1": where llama.cpp serves /props and /health.
std::string server_root(const std::string& base_url);

// Asks llama.cpp's /props, then /models, for the window serving `settings.model`.
ServedWindow probe_served_window(http::Transport& transport, const config::ProviderConfig& settings,
                                 const std::vector<std::string>& headers,
                                 const http::Timeouts& timeouts);

} // namespace rlm::providers
