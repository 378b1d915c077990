#include "rlm/providers/openai.hpp"

#include "chat_exchange.hpp"
#include "http_errors.hpp"
#include "openai_reply.hpp"
#include "rlm/providers/context_window.hpp"
#include "streaming.hpp"
#include "thinking_request.hpp"

#include "rlm/providers/reasoning.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace rlm::providers {

namespace {

using nlohmann::json;
using Kind = ProviderError::Kind;

const char* k_start_hint = "check base_url, and that the server runs";

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

OpenAiProvider::OpenAiProvider(config::ProviderConfig settings, const config::HttpSettings& http,
                               http::Transport& transport, const Environment& env)
    : m_settings(std::move(settings)), m_timeouts(timeouts_from(http)), m_transport(transport) {
  if (!m_settings.api_key_env.empty()) {
    if (const auto key = env(m_settings.api_key_env); key && !key->empty()) {
      m_authorization = "Authorization: Bearer " + *key;
    }
  }
}

ProviderError OpenAiProvider::refusal(long status, const std::string& message,
                                      const http::Response* response) const {
  const auto& url = m_settings.base_url;
  const auto& model = m_settings.model;
  const auto& key = m_settings.api_key_env;
  const auto after = response != nullptr ? retry_after(*response) : std::nullopt;
  if (contains(message, "context shift is disabled")) { // llama.cpp, the answer ran out of room
    return {Kind::context_overflow,
            fmt::format("the answer of '{}' at {} ran into the end of the server's context window "
                        "({}); give the server a bigger window (llama-server -c, divided among "
                        "its -np slots), or lower max_tokens",
                        model, url, message)};
  }
  if ((status == 0 || status == 400 || status == 413 || status == 422) &&
      mentions_context_overflow(message)) {
    return {Kind::context_overflow,
            fmt::format("the prompt does not fit the context window of '{}' at {} ({}); give the "
                        "server a bigger window (llama-server -c, vLLM --max-model-len), or set "
                        "context_length for this provider so rlm sizes requests to it",
                        model, url, message)};
  }
  switch (status) {
  case 0:
    return ProviderError::transient(
        Kind::server, fmt::format("{} failed during the answer of '{}': {}", url, model, message));
  case 401:
  case 403:
    if (m_authorization.empty()) {
      return {Kind::auth, key.empty()
                              ? fmt::format("{} needs an API key ({}); set api_key_env for this "
                                            "provider and export the key",
                                            url, status)
                              : fmt::format("{} needs an API key ({}), and ${} is not set; export "
                                            "{}=<your key>",
                                            url, status, key, key)};
    }
    return {Kind::auth,
            fmt::format("{} rejected the API key from ${} ({}); check the key", url, key, status)};
  case 402:
    return {Kind::balance,
            fmt::format("{} reports insufficient balance (402); top up the account", url)};
  case 404:
    if (contains(message, "model") || contains(message, "Model")) {
      return {Kind::model_not_found,
              fmt::format("{} has no model '{}' ({}); list the models with: curl {}/models", url,
                          model, message, url)};
    }
    return {Kind::bad_request,
            fmt::format("{} has no chat endpoint at {}/chat/completions (404: {}); check "
                        "base_url (OpenAI-compatible servers usually end in /v1)",
                        url, url, message)};
  case 408:
  case 409:
    return ProviderError::transient(Kind::server,
                                    fmt::format("{} answered {}: {}", url, status, message), after);
  case 429:
    return ProviderError::transient(
        Kind::rate_limited, fmt::format("{} is rate limiting (429): {}", url, message), after);
  case 400:
  case 422:
    return {Kind::bad_request,
            fmt::format("{} refused the request for '{}' ({}): {}", url, model, status, message)};
  case 503:
    if (contains(message, "Loading model")) { // llama.cpp while it starts
      return ProviderError::transient(
          Kind::overloaded, fmt::format("{} is still loading the model (503); rlm will retry", url),
          after.value_or(2.0));
    }
    return ProviderError::transient(Kind::overloaded,
                                    fmt::format("{} is overloaded (503): {}", url, message), after);
  default: break;
  }
  auto answered = fmt::format("{} answered {}: {}", url, status, message);
  if (status >= 500) return ProviderError::transient(Kind::server, std::move(answered), after);
  return {Kind::server, std::move(answered)};
}

std::optional<std::int64_t> OpenAiProvider::count_tokens(const std::vector<Message>& messages) {
  std::string text;
  for (const auto& m : messages) text.append(m.content).push_back('\n');
  http::Request request;
  request.method = http::Method::post;
  request.url = server_root(m_settings.base_url) + "/tokenize";
  request.timeouts = m_timeouts;
  request.headers = {"Content-Type: application/json"};
  if (!m_authorization.empty()) request.headers.push_back(m_authorization);
  request.body = json{{"content", text}, {"add_special", false}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  const auto response = m_transport.perform(request);
  if (!response || response->status != 200) return std::nullopt; // the estimate will do
  const auto reply = parse_untrusted_json(response->body);
  const auto* tokens = reply ? json_field::array(*reply, "tokens") : nullptr;
  if (tokens == nullptr) return std::nullopt;
  const auto count = static_cast<std::int64_t>(tokens->size());
  m_estimator.observe(messages, count + static_cast<std::int64_t>(messages.size()) *
                                            k_template_tokens_per_message);
  return count;
}

std::optional<std::int64_t> OpenAiProvider::window() {
  const std::lock_guard lock(m_mutex);
  const auto configured = m_settings.context_length;
  // DeepSeek's API has no window endpoint; its window is documented, and is the config's.
  if (m_settings.type == config::ProviderType::deepseek) return configured;
  // A server that did not answer is asked again after a while, not on every call: each
  // probe of a dead host costs the connect timeout, and parallel calls wait on this lock.
  constexpr auto k_probe_again_after = std::chrono::seconds(30);
  const auto now = std::chrono::steady_clock::now();
  if (!m_served && (!m_probe_failed_at || now - *m_probe_failed_at > k_probe_again_after)) {
    std::vector<std::string> headers;
    if (!m_authorization.empty()) headers.push_back(m_authorization);
    auto served = probe_served_window(m_transport, m_settings, headers, m_timeouts);
    if (!served.answered) { // nothing answers: the chat will say so
      m_probe_failed_at = now;
      return configured;
    }
    if (served.serving) {
      spdlog::debug("{} serves a window of {} tokens (from {})", m_settings.base_url,
                    *served.serving, served.source);
    }
    m_served = std::move(served);
  }
  if (!m_served) return configured;
  if (m_served->serving && configured) return std::min(*m_served->serving, *configured);
  return m_served->serving ? m_served->serving : configured;
}

std::int64_t OpenAiProvider::concurrency() {
  if (m_settings.max_concurrency) return *m_settings.max_concurrency;
  if (m_settings.type == config::ProviderType::openai) {
    (void)window(); // asks /props once, if it has not yet
    const std::lock_guard lock(m_mutex);
    // More requests than slots wait in llama-server's queue, each against the idle timeout.
    if (m_served && m_served->slots) return *m_served->slots;
  }
  return k_api_concurrency;
}

std::optional<std::int64_t> OpenAiProvider::prompt_room_chars() {
  const auto served = window();
  if (!served) return std::nullopt;
  return providers::prompt_room_chars(*served, m_settings.max_tokens,
                                      m_estimator.chars_per_token());
}

std::expected<ChatResponse, ProviderError> OpenAiProvider::chat(const ChatRequest& chat) {
  if (m_authorization.empty() && m_settings.type == config::ProviderType::deepseek) {
    return std::unexpected(ProviderError{
        Kind::auth,
        fmt::format("no API key: ${} is not set; export {}=... (DeepSeek's API needs one)",
                    m_settings.api_key_env, m_settings.api_key_env)});
  }
  auto estimate = m_estimator.estimate(chat.messages);
  auto max_tokens = completion_limit(m_settings, chat, m_saw_reasoning);
  std::optional<std::int64_t> counted; // the prompt's own tokens, counted by the server
  const auto served = window();
  if (served && estimate * 4 >= *served && counts_tokens()) {
    // Near the window an estimate is not enough (code, digits and some tokenizers run denser
    // than 3 characters a token): llama.cpp counts exactly, in a millisecond or two.
    counted = count_tokens(chat.messages);
    if (counted)
      estimate = *counted +
                 static_cast<std::int64_t>(chat.messages.size()) * k_template_tokens_per_message;
  }
  if (served) {
    const auto fitted = fit_answer(
        estimate, max_tokens, *served,
        fmt::format("'{}' at {}", m_settings.model, m_settings.base_url),
        "give the server a bigger window (llama-server -c, divided among its -np slots; vLLM "
        "--max-model-len)",
        m_estimator.chars_per_token());
    if (!fitted) return std::unexpected(fitted.error());
    max_tokens = *fitted;
  }
  json messages = json::array();
  for (const auto& m : chat.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", m_settings.model},
               {"messages", messages},
               {"max_tokens", max_tokens}, // always: llama.cpp may not stop
               {"temperature", chat.temperature.value_or(m_settings.temperature)},
               {"stream", chat.stream}};
  if (chat.stream) body["stream_options"] = {{"include_usage", true}};
  if (!chat.stop.empty()) body["stop"] = chat.stop;
  add_openai_think(body, m_settings);
  http::Request request;
  request.url = m_settings.base_url + "/chat/completions";
  request.timeouts = m_timeouts;
  request.headers = {"Content-Type: application/json",
                     "Accept: " +
                         std::string(chat.stream ? "text/event-stream" : "application/json")};
  if (!m_authorization.empty()) request.headers.push_back(m_authorization);
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  Endpoint endpoint{m_settings.base_url, k_start_hint,
                    std::bind_front(&OpenAiProvider::refusal, this)};
  OpenAiReplyReader reader;
  auto answer =
      exchange(m_transport,
               chat_exchange(std::move(request), chat, max_tokens, std::move(endpoint)), reader);
  if (!answer) return answer;
  if (!answer->thinking.empty()) m_saw_reasoning = true;
  if (answer->usage_estimated) {
    // A stream rlm cut when its code block closed never got the usage chunk; the server read
    // (and an API bills) the whole prompt all the same.
    if (answer->usage.prompt_tokens == 0) answer->usage.prompt_tokens = estimate;
    return answer;
  }
  // With an exact count, fewer tokens read than the text alone holds is a cut, surely.
  answer->prompt_truncated =
      counted ? answer->usage.prompt_tokens > 0 && answer->usage.prompt_tokens < *counted * 9 / 10
              : looks_truncated(answer->usage.prompt_tokens, estimate);
  if (!answer->prompt_truncated) m_estimator.observe(chat.messages, answer->usage.prompt_tokens);
  if (answer->prompt_truncated) {
    warn_prompt_cut(m_settings.base_url, answer->usage.prompt_tokens, estimate, m_settings.model,
                    "the server cut the prompt (llama-server with context shift does this when a "
                    "prompt passes its per-slot window); give it a bigger -c or fewer -np slots, "
                    "or set context_length for this provider");
  }
  return answer;
}

} // namespace rlm::providers
