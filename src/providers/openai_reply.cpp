#include "openai_reply.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <algorithm>

namespace rlm::providers {

namespace {

using nlohmann::json;

constexpr std::size_t k_message_bytes = 300;

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

void read_usage(const json& event, Usage& usage) {
  const auto* u = json_field::object(event, "usage");
  if (u == nullptr) return;
  if (const auto n = json_field::count(*u, "prompt_tokens")) usage.prompt_tokens = *n;
  if (const auto n = json_field::count(*u, "completion_tokens")) usage.completion_tokens = *n;
  if (const auto n = json_field::count(*u, "prompt_cache_hit_tokens")) { // DeepSeek
    usage.cached_tokens = *n;
  } else if (const auto* details = json_field::object(*u, "prompt_tokens_details")) {
    if (const auto c = json_field::count(*details, "cached_tokens")) usage.cached_tokens = *c;
  }
  usage.cached_tokens = std::min(usage.cached_tokens, usage.prompt_tokens);
  // DeepSeek, OpenAI and vLLM count the reasoning within completion_tokens.
  if (const auto* details = json_field::object(*u, "completion_tokens_details")) {
    if (const auto n = json_field::count(*details, "reasoning_tokens")) usage.reasoning_tokens = *n;
  }
}

// The text fields of a delta (streamed) or a message (whole reply).
void read_text(const json& part, ChatResponse& answer) {
  if (const auto* text = json_field::string(part, "content")) answer.text += *text;
  if (const auto* thought = json_field::string(part, "reasoning_content")) {
    answer.thinking += *thought;
  } else if (const auto* reasoning = json_field::string(part, "reasoning")) {
    answer.thinking += *reasoning;
  }
}

void read_finish(const json& choice, ChatResponse& answer) {
  if (const auto* reason = json_field::string(choice, "finish_reason"))
    answer.finish_reason = *reason;
}

// An error object as OpenAI, DeepSeek, vLLM and llama.cpp write it: {"code", "message",
// "type"}, or a bare string.
InReplyError error_of(const json& error) {
  InReplyError out;
  if (error.is_string()) {
    out.message = json_brief(error, k_message_bytes);
    return out;
  }
  if (const auto code = json_field::integer(error, "code", 100, 599)) out.code = *code;
  if (const auto* message = json_field::string(error, "message")) {
    out.message = printable(*message, k_message_bytes);
  } else {
    out.message = json_brief(error, k_message_bytes);
  }
  return out;
}

} // namespace

bool OpenAiReplyReader::take_error(std::string_view text) {
  const auto value = parse_untrusted_json(text);
  if (!value) {
    m_state.error = InReplyError{std::nullopt, printable(text, k_message_bytes)};
  } else if (const auto* inner = json_field::set(*value, "error")) {
    m_state.error = error_of(*inner);
  } else {
    m_state.error = error_of(*value);
  }
  return false;
}

bool OpenAiReplyReader::line(std::string_view line) {
  if (m_state.complete) return true; // nothing after [DONE] counts
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  if (line.empty()) {
    m_error_event = false; // a blank line ends an event
    return true;
  }
  if (m_json_body) {
    m_body.append(line).push_back('\n');
    return true;
  }
  if (line.front() == ':') return true; // a comment: keep-alive
  if (!m_started && line.front() == '{') {
    m_json_body = true;
    m_body.append(line).push_back('\n');
    return true;
  }
  m_started = true;
  if (line.starts_with("error:")) return take_error(trim_left(line.substr(6))); // llama.cpp
  if (line.starts_with("event:")) {
    m_error_event = trim_left(line.substr(6)).starts_with("error");
    return true;
  }
  if (!line.starts_with("data:")) {
    // id:, retry: and unknown fields are ignored, as the SSE standard says; text that is not a
    // field at all means this is not an event stream.
    if (line.find(':') == std::string_view::npos && m_state.malformed.empty() &&
        m_state.answer.text.empty()) {
      m_state.malformed = "a line that is not server-sent events: " + printable(line, 120);
      return false;
    }
    return true;
  }
  const auto data = trim_left(line.substr(5));
  if (data == "[DONE]") {
    m_state.complete = true;
    return true;
  }
  if (m_error_event) return take_error(data);
  const auto event = parse_untrusted_json(data);
  if (!event || !event->is_object()) {
    m_state.malformed =
        "an event that is not a JSON object (or is nested too deep): " + printable(data, 80);
    return false;
  }
  if (const auto* error = json_field::set(*event, "error")) {
    m_state.error = error_of(*error);
    return false;
  }
  if (const auto* object = json_field::string(*event, "object"); object && *object == "error") {
    m_state.error = error_of(*event); // vLLM's older error event: {"object":"error",...}
    return false;
  }
  if (const auto* choice = json_field::first_object(*event, "choices")) {
    if (const auto* delta = json_field::object(*choice, "delta")) read_text(*delta, m_state.answer);
    read_finish(*choice, m_state.answer);
  }
  read_usage(*event, m_state.answer.usage);
  return true;
}

void OpenAiReplyReader::end() {
  if (m_json_body) body(m_body);
}

void OpenAiReplyReader::body(std::string_view body) {
  // Non-streaming replies may be preceded by blank lines (DeepSeek while queued).
  const auto first = body.find_first_not_of(" \r\n\t");
  body = first == std::string_view::npos ? std::string_view() : body.substr(first);
  const auto reply = parse_untrusted_json(body);
  if (!reply || !reply->is_object()) {
    m_state.malformed =
        "a reply that is not a JSON object (or is nested too deep): " + printable(body, 80);
    return;
  }
  if (const auto* error = json_field::set(*reply, "error")) {
    m_state.error = error_of(*error);
    return;
  }
  const auto* choice = json_field::first_object(*reply, "choices");
  const auto* message = choice == nullptr ? nullptr : json_field::object(*choice, "message");
  if (message == nullptr) {
    m_state.malformed = "a reply that is not a chat completion (no choices[0].message)";
    return;
  }
  read_text(*message, m_state.answer);
  read_finish(*choice, m_state.answer);
  read_usage(*reply, m_state.answer.usage);
  m_state.complete = true;
}

bool OpenAiReplyReader::is_progress(std::string_view piece) const {
  return piece.find("data:") != std::string_view::npos ||
         piece.find("error:") != std::string_view::npos;
}

} // namespace rlm::providers
