#include "ollama_reply.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <algorithm>

namespace rlm::providers {

bool OllamaReplyReader::line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
  if (m_state.complete) return true; // nothing after the final line counts
  const auto object = parse_untrusted_json(line);
  if (!object || !object->is_object()) {
    m_state.malformed =
        "a line that is not a JSON object (or is nested too deep): " + printable(line, 80);
    return false;
  }
  if (const auto* error = json_field::set(*object, "error")) {
    m_state.error = InReplyError{std::nullopt, json_brief(*error)};
    return false;
  }
  auto& answer = m_state.answer;
  if (const auto* message = json_field::object(*object, "message")) {
    if (const auto* text = json_field::string(*message, "content")) answer.text += *text;
    if (const auto* thought = json_field::string(*message, "thinking")) answer.thinking += *thought;
  }
  if (json_field::boolean(*object, "done").value_or(false)) {
    m_state.complete = true;
    const auto* reason = json_field::string(*object, "done_reason");
    answer.finish_reason = reason != nullptr ? *reason : "stop";
    answer.usage.prompt_tokens = json_field::count(*object, "prompt_eval_count").value_or(0);
    answer.usage.completion_tokens = json_field::count(*object, "eval_count").value_or(0);
  }
  return true;
}

void OllamaReplyReader::body(std::string_view body) {
  // One object; read line by line all the same, in case a server streamed anyway.
  while (!body.empty()) {
    const auto end = std::min(body.find('\n'), body.size());
    if (!line(body.substr(0, end))) return;
    body.remove_prefix(std::min(end + 1, body.size()));
  }
}

} // namespace rlm::providers
