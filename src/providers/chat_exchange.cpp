#include "chat_exchange.hpp"

#include "http_errors.hpp"
#include "streaming.hpp"

#include "rlm/providers/reasoning.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <chrono>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace rlm::providers {

namespace {

using Kind = ProviderError::Kind;

ProviderError empty_reply(const Exchange& e, const ChatResponse& answer) {
  if (answer.cut_short()) {
    return {Kind::empty_reply,
            fmt::format("{} stopped at max_tokens ({}) before writing any answer; raise "
                        "max_tokens for this provider",
                        e.endpoint.server, answer.max_tokens)};
  }
  const auto finish = answer.finish_reason.empty()
                          ? std::string("no finish_reason")
                          : "finish_reason \"" + printable(answer.finish_reason, 40) + "\"";
  return {Kind::empty_reply,
          fmt::format("{} sent an empty answer ({}); try again, or check the model and its chat "
                      "template",
                      e.endpoint.server, finish)};
}

// The answer end_early cut at `at`: a success, with what arrived past the cut and an estimated
// usage (the stream's usage chunk never came).
ChatResponse stopped_early(const Exchange& e, const ChatResponse& so_far, std::size_t at) {
  ChatResponse answer = so_far;
  at = std::min(at, answer.text.size());
  answer.dropped_tail = answer.text.substr(at);
  answer.text.resize(at);
  answer.stopped_at = at;
  answer.finish_reason = "stop";
  answer.max_tokens = e.max_tokens;
  constexpr std::size_t k_chars_per_token = 4;
  answer.usage.completion_tokens = static_cast<std::int64_t>(
      (answer.text.size() + answer.thinking.size() + k_chars_per_token - 1) / k_chars_per_token);
  answer.usage_estimated = true;
  separate_reasoning(answer);
  return answer;
}

} // namespace

std::string error_text(std::string_view body) {
  if (const auto parsed = parse_untrusted_json(body)) {
    if (const auto* error = json_field::set(*parsed, "error")) {
      if (const auto* message = json_field::string(*error, "message"))
        return printable(*message, 300);
      // Ollama passes its llama-server's error body on as a string: read the inner message.
      if (error->is_string() && error->get_ref<const std::string&>().starts_with("{"))
        return error_text(error->get_ref<const std::string&>());
      return json_brief(*error);
    }
    if (const auto* message = json_field::string(*parsed, "message")) // some proxies
      return printable(*message, 300);
  }
  return printable(body, 300);
}

Exchange chat_exchange(http::Request request, const ChatRequest& chat, std::int64_t max_tokens,
                       Endpoint endpoint) {
  Exchange e;
  e.request = std::move(request);
  e.request.method = http::Method::post;
  e.request.cancel = chat.cancel;
  e.stream = chat.stream;
  e.end_early = chat.end_early;
  e.max_tokens = max_tokens;
  e.endpoint = std::move(endpoint);
  return e;
}

void warn_prompt_cut(std::string_view server, std::int64_t read, std::int64_t sent,
                     std::string_view model, std::string_view cause_and_fix) {
  spdlog::warn("{} read only {} prompt tokens of about {} sent to '{}': {}", server, read, sent,
               model, cause_and_fix);
}

namespace {

// The credentials a request carries ("Authorization: Bearer KEY": the value and the key).
std::vector<std::string> secrets_of(const http::Request& request) {
  std::vector<std::string> secrets;
  for (const auto& header : request.headers) {
    constexpr std::string_view name = "Authorization: ";
    if (!header.starts_with(name)) continue;
    const auto value = std::string_view(header).substr(name.size());
    secrets.emplace_back(value);
    if (const auto space = value.find(' '); space != std::string_view::npos)
      secrets.emplace_back(value.substr(space + 1));
  }
  return secrets;
}

std::expected<ChatResponse, ProviderError> send_and_read(http::Transport& transport, Exchange& e,
                                                         ReplyReader& reader);

} // namespace

// A server, or a proxy before it, may echo the key it was sent into an error or an answer:
// nothing it says leaves here with the key in it.
std::expected<ChatResponse, ProviderError> exchange(http::Transport& transport, Exchange e,
                                                    ReplyReader& reader) {
  const auto secrets = secrets_of(e.request);
  auto result = send_and_read(transport, e, reader);
  for (const auto& secret : secrets) {
    if (result) {
      result->text = redact(std::move(result->text), secret);
      result->thinking = redact(std::move(result->thinking), secret);
    } else {
      result.error().message = redact(std::move(result.error().message), secret);
    }
  }
  return result;
}

namespace {

std::expected<ChatResponse, ProviderError> send_and_read(http::Transport& transport, Exchange& e,
                                                         ReplyReader& reader) {
  LineSplitter lines;
  std::optional<std::size_t> stopped_at; // where end_early cut the answer
  if (e.stream) {
    // Never throws into libcurl: the readers are total, and a failure is recorded in their
    // state, which returns false here so curl aborts the transfer cleanly.
    e.request.on_data = [&](std::string_view piece) {
      if (!lines.feed(piece, [&](std::string_view line) { return reader.line(line); }))
        return false;
      // A block closes on a newline: only then can the answer have become cuttable.
      if (e.end_early && piece.find('\n') != std::string_view::npos)
        stopped_at = e.end_early(reader.state().answer.text);
      return !stopped_at;
    };
    e.request.is_progress = [&](std::string_view piece) { return reader.is_progress(piece); };
  }
  const auto started = std::chrono::steady_clock::now();
  const auto response = transport.perform(e.request);
  const auto& state = reader.state();
  // What the reader found wrong in the reply, if anything: checked as soon as the transfer
  // ends (a stream the reader stopped) and again once the whole reply is read.
  const auto reader_failure = [&]() -> std::optional<ProviderError> {
    if (state.error)
      return e.endpoint.refusal(state.error->code.value_or(0), state.error->message, nullptr);
    if (!state.malformed.empty())
      return ProviderError::transient(
          Kind::protocol, fmt::format("{} sent {}", e.endpoint.server, state.malformed));
    return std::nullopt;
  };
  if (auto failure = reader_failure()) return std::unexpected(std::move(*failure));
  const bool interrupted = e.request.cancel != nullptr && e.request.cancel->load();
  if (stopped_at && !interrupted) {
    auto answer = stopped_early(e, state.answer, *stopped_at);
    answer.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return answer;
  }
  if (!response)
    return std::unexpected(
        from_failure(response.error(), e.endpoint.server, e.endpoint.start_hint));
  if (response->status < 200 || response->status > 299) {
    return std::unexpected(
        e.endpoint.refusal(response->status, error_text(response->body), &*response));
  }
  if (e.stream) {
    if (lines.rest().empty() || reader.line(lines.rest())) reader.end();
  } else {
    reader.body(response->body);
  }
  if (auto failure = reader_failure()) return std::unexpected(std::move(*failure));
  if (!state.complete) {
    return std::unexpected(ProviderError::transient(
        Kind::protocol,
        fmt::format("{} ended the reply before it was complete (after {} characters of "
                    "answer); the partial answer was discarded",
                    e.endpoint.server, state.answer.text.size())));
  }
  ChatResponse answer = state.answer;
  answer.seconds = response->seconds;
  answer.max_tokens = e.max_tokens;
  // Reasoning in the text (<think>) leaves it; a reply that is all reasoning is one (the
  // loop nudges the model to write its answer), not an empty one.
  separate_reasoning(answer);
  if (answer.text.empty() && !reasoning_only(answer))
    return std::unexpected(empty_reply(e, answer));
  // Finish reasons that say the generation itself failed: what came is not an answer.
  for (const auto* failed : {"error", "abort", "insufficient_system_resource"}) {
    if (answer.finish_reason == failed) {
      return std::unexpected(ProviderError::transient(
          Kind::server,
          fmt::format("{} ended the answer with finish_reason \"{}\" after {} characters; "
                      "the partial answer was discarded",
                      e.endpoint.server, failed, answer.text.size())));
    }
  }
  return answer;
}

} // namespace

} // namespace rlm::providers
