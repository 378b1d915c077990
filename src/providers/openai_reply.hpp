// Reads OpenAI-compatible chat replies: a server-sent-event stream of chat.completion.chunk
// objects ending in `data: [DONE]`, or one chat.completion object. What real servers send
// besides (captures in tests/captures/): comments and blank lines (DeepSeek's keep-alives),
// llama.cpp's `error: {...}` line inside a 200 stream, `event: error`, `data: {"error":...}`,
// reasoning text in `reasoning_content` (DeepSeek) or `reasoning` (Ollama's /v1, vLLM).
#pragma once

#include "reply_reader.hpp"

namespace rlm::providers {

class OpenAiReplyReader final : public ReplyReader {
public:
  bool line(std::string_view line) override;
  void end() override;
  void body(std::string_view body) override;
  bool is_progress(std::string_view piece) const override;

private:
  bool take_error(std::string_view text);
  bool m_error_event = false; // an `event: error` line came: its data is an error
  bool m_started = false;     // a line other than blank or comment came
  // A server that answers a stream request with one JSON object (an error, or a whole
  // completion): its lines are kept and read as a body at the end.
  bool m_json_body = false;
  std::string m_body;
};

} // namespace rlm::providers
