// What a protocol reader makes of a chat reply, streamed line by line or whole. One reader
// per protocol (openai_reply: SSE and chat.completion JSON; ollama_reply: NDJSON), each
// tested on its own from recorded server replies; chat_exchange drives either one.
//
// A reader never throws and never trusts the bytes: JSON is parsed with a depth limit and
// read through typed accessors, a field of the wrong type is ignored, and whatever the
// server sent, the state ends in one of: complete, a server error, malformed, or incomplete.
#pragma once

#include "rlm/providers/provider.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rlm::providers {

// The server said no inside a reply whose HTTP status was 200: an SSE `error:` line or
// error event, a `data: {"error": ...}` chunk, an Ollama `{"error": ...}` line, or a 200
// body that is an error object.
struct InReplyError {
  std::optional<long> code; // the HTTP-like code the server put in the error, if any
  std::string message;      // as the server wrote it (made printable, cut)
};

struct ReplyState {
  ChatResponse answer;               // text, thinking, finish reason and usage so far
  bool complete = false;             // the protocol's end arrived ([DONE], done:true, a body)
  std::optional<InReplyError> error; // the server reported a failure
  std::string malformed;             // set when the reply is not the protocol: what was wrong
};

class ReplyReader {
public:
  virtual ~ReplyReader() = default;
  // One line of a streamed body, without its newline. False: stop reading (error or
  // malformed is set).
  virtual bool line(std::string_view line) = 0;
  // The end of a streamed body, after its last line.
  virtual void end() {}
  // The whole body of a reply that was not streamed.
  virtual void body(std::string_view body) = 0;
  // Whether a piece of a streamed body is progress for the idle timer (keep-alive comments
  // are not).
  virtual bool is_progress(std::string_view piece) const = 0;

  const ReplyState& state() const { return m_state; }

protected:
  ReplyState m_state;
};

} // namespace rlm::providers
