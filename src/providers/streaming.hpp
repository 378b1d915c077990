// What both provider clients need to read a streamed reply: whole lines out of pieces of
// bytes (NDJSON for Ollama, SSE for OpenAI-compatible servers), and HTTP timeouts from
// the configuration.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"

#include <string>
#include <string_view>

namespace rlm::providers {

inline http::Timeouts timeouts_from(const config::HttpSettings& h) {
  const auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  };
  return {ms(h.connect_timeout_seconds), ms(h.idle_timeout_seconds), ms(h.request_timeout_seconds)};
}

// Collects pieces and hands out complete lines (without "\n"); a line may span pieces.
class LineSplitter {
public:
  // Calls `take(line)` for each line `piece` completes; stops, returning false, as soon as
  // `take` does.
  template <class Take> bool feed(std::string_view piece, Take&& take) {
    // Only the new bytes are searched: a long line arriving in many pieces stays linear.
    const auto searched = m_pending.size();
    m_pending.append(piece);
    std::size_t start = 0;
    bool go_on = true;
    for (auto nl = m_pending.find('\n', searched); go_on && nl != std::string::npos;
         nl = m_pending.find('\n', start)) {
      go_on = take(std::string_view(m_pending).substr(start, nl - start));
      start = nl + 1;
    }
    m_pending.erase(0, start);
    return go_on;
  }

  // What is left after the last newline (a last line without one).
  const std::string& rest() const { return m_pending; }

private:
  std::string m_pending;
};

} // namespace rlm::providers
