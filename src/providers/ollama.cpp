#include "rlm/providers/ollama.hpp"

#include "http_errors.hpp"
#include "streaming.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace rlm::providers {

namespace {

using nlohmann::json;
using Kind = ProviderError::Kind;

constexpr std::int64_t k_num_ctx_step = 1024;

const char* k_start_hint = "start it with `ollama serve` (or check base_url)";

} // namespace

std::int64_t estimate_tokens(const std::vector<Message>& messages) {
  std::int64_t characters = 0;
  for (const auto& m : messages) characters += static_cast<std::int64_t>(m.content.size()) + 8;
  return characters / 3 + 1;
}

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

ProviderError OllamaProvider::from_status(const http::Response& response,
                                          std::string_view body) const {
  std::string message = std::string(body.substr(0, 300));
  if (const auto parsed = json::parse(body, nullptr, false);
      parsed.is_object() && parsed.contains("error")) {
    message =
        parsed["error"].is_string() ? parsed["error"].get<std::string>() : parsed["error"].dump();
  }
  const auto& model = m_settings.model;
  const auto& url = m_settings.base_url;
  switch (response.status) {
  case 404:
    return {Kind::model_not_found,
            fmt::format("Ollama at {} has no model '{}'; pull it with: ollama pull {}", url, model,
                        model)};
  case 503:
    return {Kind::overloaded,
            fmt::format("Ollama at {} is busy ({}); rlm will retry", url, message), true,
            retry_after(response)};
  case 400:
    if (mentions_context_overflow(message)) {
      return {Kind::context_overflow,
              fmt::format("the prompt does not fit the context of '{}': {}", model, message)};
    }
    return {Kind::bad_request, fmt::format("Ollama at {} refused the request: {}", url, message)};
  default: break;
  }
  const bool retryable = response.status >= 500 || response.status == 408 ||
                         response.status == 409 || response.status == 429;
  return {response.status == 429 ? Kind::rate_limited : Kind::server,
          fmt::format("Ollama at {} answered {}: {}", url, response.status, message), retryable,
          retry_after(response)};
}

std::expected<std::int64_t, ProviderError> OllamaProvider::context_length() {
  const std::lock_guard lock(m_mutex);
  if (m_settings.context_length) return *m_settings.context_length;
  if (m_context_length) return *m_context_length;
  auto request = base_request("/api/show");
  request.method = "POST";
  request.body = json{{"model", m_settings.model}}.dump();
  const auto response = m_transport.perform(request);
  if (!response)
    return std::unexpected(from_failure(response.error(), m_settings.base_url, k_start_hint));
  if (response->status != 200) return std::unexpected(from_status(*response, response->body));
  const auto info = json::parse(response->body, nullptr, false);
  const auto& model_info =
      info.is_object() ? info.value("model_info", json::object()) : json::object();
  const auto arch = model_info.value("general.architecture", std::string());
  const auto key = arch + ".context_length";
  if (!model_info.contains(key) || !model_info[key].is_number_integer()) {
    return std::unexpected(ProviderError{
        Kind::protocol, fmt::format("Ollama at {} did not report the context length of '{}'; set "
                                    "context_length in its [[providers]] table",
                                    m_settings.base_url, m_settings.model)});
  }
  m_context_length = model_info[key].get<std::int64_t>();
  return *m_context_length;
}

std::expected<ChatResponse, ProviderError> OllamaProvider::chat(const ChatRequest& chat) {
  const auto max_tokens = chat.max_tokens.value_or(m_settings.max_tokens);
  const auto estimate = estimate_tokens(chat.messages);
  const auto window = context_length();
  if (!window) return std::unexpected(window.error());
  if (estimate + max_tokens > *window) {
    return std::unexpected(ProviderError{
        Kind::context_overflow, fmt::format("the prompt (about {} tokens) plus {} for the answer "
                                            "does not fit the {}-token context of '{}'",
                                            estimate, max_tokens, *window, m_settings.model)});
  }
  // Room for the prompt and the answer, rounded up, never past the model's window.
  const auto num_ctx = std::min(*window, (estimate + max_tokens + k_num_ctx_step - 1) /
                                             k_num_ctx_step * k_num_ctx_step);
  json messages = json::array();
  for (const auto& m : chat.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json options = {{"num_ctx", num_ctx},
                  {"num_predict", max_tokens},
                  {"temperature", chat.temperature.value_or(m_settings.temperature)}};
  if (!chat.stop.empty()) options["stop"] = chat.stop;
  auto request = base_request("/api/chat");
  request.method = "POST";
  request.cancel = chat.cancel;
  request.body = json{
      {"model", m_settings.model},
      {"messages", messages},
      {"stream", chat.stream},
      {"truncate", false},
      {"options",
       options}}.dump(-1, ' ', false, json::error_handler_t::replace);

  ChatResponse answer;
  std::optional<ProviderError> stream_error;
  LineSplitter lines;
  json done;
  const auto take_line = [&](std::string_view line) {
    if (line.empty()) return true;
    const auto object = json::parse(line, nullptr, false);
    if (!object.is_object()) {
      stream_error =
          ProviderError{Kind::protocol, fmt::format("Ollama at {} sent a line that is not JSON",
                                                    m_settings.base_url)};
      return false;
    }
    if (object.contains("error")) { // a mid-stream error keeps status 200
      stream_error = ProviderError{
          Kind::server, fmt::format("Ollama failed during the answer: {}", object["error"].dump())};
      return false;
    }
    if (object.contains("message")) answer.text += object["message"].value("content", "");
    if (object.value("done", false)) done = object;
    return true;
  };
  if (chat.stream) {
    request.on_data = [&](std::string_view piece) { return lines.feed(piece, take_line); };
  }
  const auto response = m_transport.perform(request);
  if (stream_error) {
    stream_error->produced_output = true;
    return std::unexpected(*stream_error);
  }
  if (!response)
    return std::unexpected(from_failure(response.error(), m_settings.base_url, k_start_hint));
  if (response->status != 200) return std::unexpected(from_status(*response, response->body));
  if (chat.stream) {
    take_line(lines.rest());
  } else if (!take_line(response->body)) {
    return std::unexpected(*stream_error);
  }
  if (stream_error) return std::unexpected(*stream_error);
  if (done.is_null()) {
    return std::unexpected(ProviderError{
        Kind::protocol,
        fmt::format("Ollama at {} ended the answer without its final line", m_settings.base_url),
        true, std::nullopt, !answer.text.empty()});
  }
  answer.finish_reason = done.value("done_reason", std::string("stop"));
  answer.usage.prompt_tokens = done.value("prompt_eval_count", std::int64_t{0});
  answer.usage.completion_tokens = done.value("eval_count", std::int64_t{0});
  answer.seconds = response->seconds;
  // Silent truncation: the server read far fewer tokens than rlm sent. (Cached prompts
  // are counted by Ollama too, so a low count means text was dropped.)
  answer.prompt_truncated = answer.usage.prompt_tokens > 0 && estimate > 256 &&
                            answer.usage.prompt_tokens * 2 < estimate * 3 / 4;
  if (answer.prompt_truncated) {
    spdlog::warn(
        "Ollama at {} read only {} prompt tokens of about {} sent to '{}': it truncated the "
        "prompt; set "
        "context_length for this provider, or upgrade Ollama so truncate:false is honoured",
        m_settings.base_url, answer.usage.prompt_tokens, estimate, m_settings.model);
  }
  return answer;
}

} // namespace rlm::providers
