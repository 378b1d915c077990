#include "rlm/providers/ollama.hpp"

#include "chat_exchange.hpp"
#include "http_errors.hpp"
#include "ollama_reply.hpp"
#include "rlm/providers/context_window.hpp"
#include "streaming.hpp"
#include "thinking_request.hpp"

#include "rlm/providers/reasoning.hpp"

#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace rlm::providers {

namespace {

using nlohmann::json;
using Kind = ProviderError::Kind;

constexpr std::int64_t k_num_ctx_step = 1024;

const char* k_start_hint = "start it with `ollama serve` (or check base_url)";

bool names_a_missing_model(const std::string& message) {
  return message.find("not found") != std::string::npos &&
         message.find("model") != std::string::npos;
}

} // namespace

OllamaProvider::OllamaProvider(config::ProviderConfig settings, const config::HttpSettings& http,
                               http::Transport& transport)
    : m_settings(std::move(settings)), m_timeouts(timeouts_from(http)), m_transport(transport) {}

http::Request OllamaProvider::base_request(const std::string& path) const {
  http::Request request;
  request.url = m_settings.base_url + path;
  request.timeouts = m_timeouts;
  request.headers = {"Content-Type: application/json"};
  return request;
}

std::string OllamaProvider::server() const { return "Ollama at " + m_settings.base_url; }

ProviderError OllamaProvider::refusal(long status, const std::string& message,
                                      const http::Response* response) const {
  const auto& model = m_settings.model;
  const auto after = response != nullptr ? retry_after(*response) : std::nullopt;
  if (status == 404 || names_a_missing_model(message)) {
    return {Kind::model_not_found, fmt::format("{} has no model '{}'; pull it with: ollama pull {}",
                                               server(), model, model)};
  }
  if (mentions_context_overflow(message)) {
    return {Kind::context_overflow,
            fmt::format("the prompt does not fit the context of '{}' at {} ({}); set "
                        "context_length for this provider to the window the model really has",
                        model, m_settings.base_url, message)};
  }
  switch (status) {
  case 0: // an error line inside a 200 stream: the model runner failed mid-answer
    return ProviderError::transient(
        Kind::server,
        fmt::format("{} failed during the answer of '{}': {}", server(), model, message));
  case 401:
  case 403:
    return {Kind::auth, fmt::format("{} (or a proxy in front of it) refused access ({}): {}; "
                                    "check the proxy's credentials",
                                    server(), status, message)};
  case 503:
    return ProviderError::transient(
        Kind::overloaded, fmt::format("{} is busy ({}); rlm will retry", server(), message), after);
  case 400:
    return {Kind::bad_request,
            fmt::format("{} refused the request for '{}': {}", server(), model, message)};
  case 429:
    return ProviderError::transient(
        Kind::rate_limited, fmt::format("{} is rate limiting (429): {}", server(), message), after);
  default: break;
  }
  auto answered = fmt::format("{} answered {}: {}", server(), status, message);
  if (status >= 500 || status == 408 || status == 409)
    return ProviderError::transient(Kind::server, std::move(answered), after);
  return {Kind::server, std::move(answered)};
}

std::expected<std::int64_t, ProviderError> OllamaProvider::context_length() {
  const std::lock_guard lock(m_mutex);
  if (m_settings.context_length) return *m_settings.context_length;
  if (m_context_length) return *m_context_length;
  auto request = base_request("/api/show");
  request.method = http::Method::post;
  request.body = json{{"model", m_settings.model}}.dump();
  request.max_body_bytes = 8ULL << 20;
  const auto response = m_transport.perform(request);
  if (!response)
    return std::unexpected(from_failure(response.error(), m_settings.base_url, k_start_hint));
  if (response->status != 200)
    return std::unexpected(refusal(response->status, error_text(response->body), &*response));
  const auto info = parse_untrusted_json(response->body);
  const auto* model_info = info ? json_field::object(*info, "model_info") : nullptr;
  const auto* arch =
      model_info != nullptr ? json_field::string(*model_info, "general.architecture") : nullptr;
  const auto length = arch != nullptr ? json_field::integer(*model_info, *arch + ".context_length",
                                                            1, k_max_external_count)
                                      : std::nullopt;
  if (!length) {
    return std::unexpected(ProviderError{
        Kind::protocol, fmt::format("{} did not report the context length of '{}'; set "
                                    "context_length in its [[providers]] table",
                                    server(), m_settings.model)});
  }
  m_context_length = *length;
  return *m_context_length;
}

std::optional<std::string> OllamaProvider::model_digest() {
  const std::lock_guard lock(m_mutex);
  if (m_digest) return *m_digest;
  m_digest.emplace();
  const auto response = m_transport.perform(base_request("/api/tags"));
  if (!response || response->status != 200) return std::nullopt;
  const auto listing = parse_untrusted_json(response->body);
  const auto* models = listing ? json_field::array(*listing, "models") : nullptr;
  if (models == nullptr) return std::nullopt;
  // A bare name is ":latest" to Ollama.
  const auto wanted = m_settings.model.find(':') == std::string::npos ? m_settings.model + ":latest"
                                                                      : m_settings.model;
  for (const auto& model : *models) {
    const auto* name = json_field::string(model, "name");
    const auto* digest = json_field::string(model, "digest");
    if (name != nullptr && digest != nullptr && (*name == m_settings.model || *name == wanted))
      m_digest.emplace(*digest);
  }
  return *m_digest;
}

std::optional<std::int64_t> OllamaProvider::prompt_room_chars() {
  const auto window = context_length();
  if (!window) return std::nullopt;
  return providers::prompt_room_chars(*window, m_settings.max_tokens,
                                      m_estimator.chars_per_token());
}

std::expected<ChatResponse, ProviderError> OllamaProvider::chat(const ChatRequest& chat) {
  const auto estimate = m_estimator.estimate(chat.messages);
  const auto window = context_length();
  if (!window) return std::unexpected(window.error());
  const auto max_tokens =
      fit_answer(estimate, completion_limit(m_settings, chat, m_saw_reasoning), *window,
                 fmt::format("'{}' at {}", m_settings.model, m_settings.base_url),
                 m_settings.context_length
                     ? "raise context_length if the model takes more"
                     : "use a model with a longer context (or set context_length, if the "
                       "model takes more than it reports)",
                 m_estimator.chars_per_token());
  if (!max_tokens) return std::unexpected(max_tokens.error());
  // Room for the prompt and the answer, rounded up, never past the model's window: Ollama's
  // own default window is small, and it cuts what does not fit.
  const auto num_ctx = std::min(*window, (estimate + *max_tokens + k_num_ctx_step - 1) /
                                             k_num_ctx_step * k_num_ctx_step);
  json messages = json::array();
  for (const auto& m : chat.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json options = {{"num_ctx", num_ctx},
                  {"num_predict", *max_tokens},
                  {"temperature", chat.temperature.value_or(m_settings.temperature)}};
  if (!chat.stop.empty()) options["stop"] = chat.stop;
  auto body = json{{"model", m_settings.model},
                   {"messages", messages},
                   {"stream", chat.stream},
                   {"truncate", false},
                   {"options", options}};
  add_ollama_think(body, m_settings);
  auto request = base_request("/api/chat");
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  Endpoint endpoint{server(), k_start_hint, std::bind_front(&OllamaProvider::refusal, this)};
  OllamaReplyReader reader;
  auto answer =
      exchange(m_transport,
               chat_exchange(std::move(request), chat, *max_tokens, std::move(endpoint)), reader);
  if (!answer) return answer;
  if (!answer->thinking.empty()) m_saw_reasoning = true;
  if (answer->usage_estimated) {
    // A stream rlm cut when its code block closed never got the usage chunk; the server read
    // (and an API bills) the whole prompt all the same.
    if (answer->usage.prompt_tokens == 0) answer->usage.prompt_tokens = estimate;
    return answer;
  }
  answer->prompt_truncated = looks_truncated(answer->usage.prompt_tokens, estimate);
  m_estimator.observe(chat.messages, answer->usage.prompt_tokens);
  if (answer->prompt_truncated) {
    warn_prompt_cut(server(), answer->usage.prompt_tokens, estimate, m_settings.model,
                    "it cut the prompt; set context_length for this provider, or upgrade Ollama "
                    "so truncate:false is honoured");
  }
  return answer;
}

} // namespace rlm::providers
