// Reads Ollama's /api/chat replies: newline-delimited JSON objects with the text in
// message.content (a thinking model's reasoning in message.thinking), the usage on the
// final `"done": true` line, and a failure as a `{"error": "..."}` line with status 200;
// or, not streamed, one object with done:true.
#pragma once

#include "reply_reader.hpp"

namespace rlm::providers {

class OllamaReplyReader final : public ReplyReader {
public:
  bool line(std::string_view line) override;
  void body(std::string_view body) override;
  bool is_progress(std::string_view) const override { return true; }
};

} // namespace rlm::providers
