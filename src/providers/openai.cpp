#include "rlm/providers/openai.hpp"

#include "http_errors.hpp"
#include "streaming.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rlm::providers {

namespace {

using nlohmann::json;
using Kind = ProviderError::Kind;

std::string error_message(std::string_view body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error")) {
    const auto& e = parsed["error"];
    if (e.is_object()) return e.value("message", e.dump());
    if (e.is_string()) return e.get<std::string>();
  }
  return std::string(body.substr(0, 300));
}

void read_usage(const json& usage, Usage& out) {
  if (!usage.is_object()) return;
  out.prompt_tokens = usage.value("prompt_tokens", std::int64_t{0});
  out.completion_tokens = usage.value("completion_tokens", std::int64_t{0});
  if (usage.contains("prompt_cache_hit_tokens")) { // DeepSeek
    out.cached_tokens = usage.value("prompt_cache_hit_tokens", std::int64_t{0});
  } else if (usage.contains("prompt_tokens_details") &&
             usage["prompt_tokens_details"].is_object()) { // OpenAI, vLLM
    out.cached_tokens = usage["prompt_tokens_details"].value("cached_tokens", std::int64_t{0});
  }
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

ProviderError OpenAiProvider::from_status(const http::Response& response,
                                          std::string_view body) const {
  const auto message = error_message(body);
  const auto& url = m_settings.base_url;
  const auto& key = m_settings.api_key_env;
  switch (response.status) {
  case 401:
  case 403:
    return {Kind::auth, fmt::format("{} rejected the API key from ${} ({}); check the key", url,
                                    key, response.status)};
  case 402:
    return {Kind::balance,
            fmt::format("{} reports insufficient balance (402); top up the account", url)};
  case 404:
    return {Kind::model_not_found,
            fmt::format("{} has no model '{}' ({}); list the models with: curl {}/models", url,
                        m_settings.model, message, url)};
  case 408:
  case 409:
    return {Kind::server, fmt::format("{} answered {}: {}", url, response.status, message), true,
            retry_after(response)};
  case 429:
    return {Kind::rate_limited, fmt::format("{} is rate limiting (429): {}", url, message), true,
            retry_after(response)};
  case 400:
  case 422:
    if (mentions_context_overflow(message)) {
      return {Kind::context_overflow, fmt::format("the prompt does not fit the context of '{}': {}",
                                                  m_settings.model, message)};
    }
    return {Kind::bad_request,
            fmt::format("{} refused the request ({}): {}", url, response.status, message)};
  default: break;
  }
  if (response.status == 503) {
    return {Kind::overloaded, fmt::format("{} is overloaded (503): {}", url, message), true,
            retry_after(response)};
  }
  return {Kind::server, fmt::format("{} answered {}: {}", url, response.status, message),
          response.status >= 500, retry_after(response)};
}

std::expected<ChatResponse, ProviderError> OpenAiProvider::chat(const ChatRequest& chat) {
  if (m_authorization.empty() && m_settings.type == config::ProviderType::deepseek) {
    return std::unexpected(ProviderError{
        Kind::auth,
        fmt::format("no API key: ${} is not set; export {}=... (DeepSeek's API needs one)",
                    m_settings.api_key_env, m_settings.api_key_env)});
  }
  json messages = json::array();
  for (const auto& m : chat.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", m_settings.model},
               {"messages", messages},
               {"max_tokens",
                chat.max_tokens.value_or(m_settings.max_tokens)}, // always: llama.cpp may not stop
               {"temperature", chat.temperature.value_or(m_settings.temperature)},
               {"stream", chat.stream}};
  if (chat.stream) body["stream_options"] = {{"include_usage", true}};
  if (!chat.stop.empty()) body["stop"] = chat.stop;
  http::Request request;
  request.method = "POST";
  request.url = m_settings.base_url + "/chat/completions";
  request.timeouts = m_timeouts;
  request.cancel = chat.cancel;
  request.headers = {"Content-Type: application/json",
                     "Accept: " +
                         std::string(chat.stream ? "text/event-stream" : "application/json")};
  if (!m_authorization.empty()) request.headers.push_back(m_authorization);
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);

  ChatResponse answer;
  std::optional<ProviderError> stream_error;
  bool finished = false;
  bool error_event = false;
  LineSplitter lines;
  const auto take_line = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == ':') return true; // keep-alive comments, blank lines
    if (line.starts_with("event:")) {
      error_event = line.find("error") != std::string_view::npos;
      return true;
    }
    if (!line.starts_with("data:")) return true;
    auto data = line.substr(5);
    while (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    if (data == "[DONE]") {
      finished = true;
      return true;
    }
    const auto event = json::parse(data, nullptr, false);
    if (!event.is_object() || error_event || event.contains("error")) {
      stream_error = ProviderError{
          Kind::server,
          fmt::format("{} failed during the answer: {}", m_settings.base_url,
                      event.is_object() ? error_message(data) : std::string("malformed event"))};
      return false;
    }
    if (const auto& choices = event.value("choices", json::array());
        !choices.empty() && choices[0].is_object()) {
      const auto& delta = choices[0].value("delta", json::object());
      if (delta.is_object() && delta.contains("content") && delta["content"].is_string()) {
        answer.text += delta["content"].get<std::string>();
      }
      if (choices[0].contains("finish_reason") && choices[0]["finish_reason"].is_string()) {
        answer.finish_reason = choices[0]["finish_reason"].get<std::string>();
      }
    }
    if (event.contains("usage")) read_usage(event["usage"], answer.usage);
    return true;
  };
  if (chat.stream) {
    request.is_progress = [](std::string_view piece) {
      return piece.find("data:") != std::string_view::npos;
    };
    request.on_data = [&](std::string_view piece) { return lines.feed(piece, take_line); };
  }
  const auto response = m_transport.perform(request);
  if (stream_error) {
    stream_error->produced_output = true;
    return std::unexpected(*stream_error);
  }
  if (!response) {
    return std::unexpected(from_failure(response.error(), m_settings.base_url,
                                        "check base_url, and that the server runs"));
  }
  if (response->status != 200) return std::unexpected(from_status(*response, response->body));
  answer.seconds = response->seconds;
  if (chat.stream) {
    take_line(lines.rest());
    if (!finished && answer.finish_reason.empty()) {
      return std::unexpected(ProviderError{
          Kind::protocol,
          fmt::format("{} ended the stream before the answer was complete", m_settings.base_url),
          true, std::nullopt, !answer.text.empty()});
    }
    return answer;
  }
  // Non-streaming replies may be preceded by blank lines (DeepSeek while queued).
  const auto first = response->body.find_first_not_of(" \r\n\t");
  const auto reply =
      json::parse(first == std::string::npos ? std::string_view()
                                             : std::string_view(response->body).substr(first),
                  nullptr, false);
  const auto choices = reply.is_object() ? reply.value("choices", json::array()) : json::array();
  if (choices.empty() || !choices[0].is_object() || !choices[0].contains("message")) {
    return std::unexpected(ProviderError{
        Kind::protocol,
        fmt::format("{} sent a reply rlm cannot read (not a chat completion)", m_settings.base_url),
        true});
  }
  const auto& message = choices[0]["message"];
  answer.text = message.is_object() && message.value("content", json()).is_string()
                    ? message["content"].get<std::string>()
                    : "";
  answer.finish_reason = choices[0].value("finish_reason", json()).is_string()
                             ? choices[0]["finish_reason"].get<std::string>()
                             : "stop";
  read_usage(reply.value("usage", json::object()), answer.usage);
  return answer;
}

} // namespace rlm::providers
