// One model endpoint behind one interface: a chat request in, the answer with its usage
// out, or one line saying what went wrong and whether trying again could help.
#pragma once

#include "rlm/config/config.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rlm::providers {

struct Message {
  std::string role; // "system", "user" or "assistant"
  std::string content;
  bool operator==(const Message&) const = default;
};

struct ChatRequest {
  std::vector<Message> messages;
  std::optional<std::int64_t> max_tokens; // default: the provider's configured max_tokens
  std::optional<double> temperature;      // default: the provider's configured temperature
  std::vector<std::string> stop;
  bool stream = true;
  const std::atomic<bool>* cancel = nullptr;
  // Streaming execution: given the answer streamed so far, where to end it early (a code
  // block has closed). The rest of the stream is cancelled and the reply is a success cut
  // there. Pure, so a retried request behaves the same. Unset: read the whole reply.
  std::function<std::optional<std::size_t>(std::string_view answer_so_far)> end_early;
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_tokens = 0; // prompt tokens served from the provider's cache
  std::int64_t completion_tokens = 0;
  // Of the completion tokens, those spent reasoning: as the server counted them (DeepSeek's
  // completion_tokens_details.reasoning_tokens), or, where it does not split its count
  // (Ollama, llama.cpp), estimated from the reasoning's share of the reply's characters.
  std::int64_t reasoning_tokens = 0;
  bool reasoning_estimated = false;
};

struct ChatResponse {
  std::string text; // the answer alone: reasoning is never in it once the pool hands it on
  // A thinking model's reasoning: sent apart by the server (Ollama's message.thinking,
  // reasoning_content, reasoning), or taken out of the text (<think>...</think>).
  std::string thinking;
  std::string finish_reason; // "stop", "length", ...
  Usage usage;
  double seconds = 0;
  std::int64_t max_tokens = 0;   // the completion limit that was sent (after fitting the window)
  bool prompt_truncated = false; // the server read far fewer prompt tokens than were sent
  bool cached = false;           // answered from the call cache: no request was sent
  // Ended early by ChatRequest::end_early: the text was cut at `stopped_at` characters and
  // `dropped_tail` is what had arrived past it. The usage chunk never came, so the usage is
  // estimated (`usage_estimated`).
  std::optional<std::size_t> stopped_at;
  std::string dropped_tail;
  bool usage_estimated = false;

  // The answer stopped before its end: at max_tokens, or by the server's content filter.
  bool cut_short() const { return finish_reason == "length" || finish_reason == "content_filter"; }
};

struct ProviderError {
  enum class Kind {
    unreachable,      // nothing answers at the URL
    timeout,          // connect, idle or total timeout
    model_not_found,  // the server does not have the model
    context_overflow, // the prompt does not fit the model's context
    auth,             // missing or rejected API key
    balance,          // insufficient balance (DeepSeek 402)
    rate_limited,     // 429
    overloaded,       // 503, Ollama's queue full
    bad_request,      // 400, 422: rlm sent something the server refuses
    server,           // other 5xx
    protocol,         // the reply could not be understood, or broke off
    empty_reply,      // the server answered, but with no text
    cancelled,
  };
  ProviderError() = default;
  // A failure that sending the same request again cannot mend.
  ProviderError(Kind what, std::string text) : kind(what), message(std::move(text)) {}
  // A failure that may pass (a timeout, a busy server): the pool sends the request again,
  // after `retry_after` seconds when the server named a wait.
  static ProviderError transient(Kind what, std::string text,
                                 std::optional<double> retry_after = std::nullopt) {
    ProviderError error(what, std::move(text));
    error.retryable = true;
    error.retry_after_seconds = retry_after;
    return error;
  }

  Kind kind = Kind::server;
  std::string message; // one line with the fix; never contains a key
  bool retryable = false;
  std::optional<double> retry_after_seconds; // from Retry-After / retry-after-ms
  // For context_overflow found before sending: about how many characters of prompt fit, so
  // a caller (the model, through llm_query) can split its text.
  std::optional<std::int64_t> fits_chars;
};

// Failures that will repeat on every call to this provider until the user changes
// something: a missing model, a key, the balance, a request the server refuses.
bool repeats_every_call(ProviderError::Kind kind);

class Provider {
public:
  virtual ~Provider() = default;
  virtual std::expected<ChatResponse, ProviderError> chat(const ChatRequest& request) = 0;
  virtual const config::ProviderConfig& settings() const = 0;
  // About how many characters a one-message prompt may have and still leave this model room
  // for a full answer (context_window.hpp's prompt_room_chars); nothing when its window is
  // not known. May ask the server once.
  virtual std::optional<std::int64_t> prompt_room_chars() { return std::nullopt; }
  // The tokens one request may hold (prompt and answer); nothing when not known.
  virtual std::optional<std::int64_t> window_tokens() { return std::nullopt; }
  // What identifies the model's weights where the server says (Ollama's digest), so the call
  // cache knows a model replaced under the same name; nothing when not known. May ask once.
  virtual std::optional<std::string> model_digest() { return std::nullopt; }
  // How many requests it takes at once: the configured max_concurrency, else what the
  // server says where it can (llama.cpp's slots), else a default for its kind. May ask once.
  virtual std::int64_t concurrency() { return settings().max_concurrency.value_or(4); }
};

const char* to_string(ProviderError::Kind kind);

} // namespace rlm::providers
