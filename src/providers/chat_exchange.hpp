// The one path every chat request takes, for both protocols: send, read the reply through
// the protocol's ReplyReader (streamed or whole), and turn each way a server can say "no"
// into a ProviderError: a transport failure, an HTTP error status, an error inside a 200
// reply, a reply that is not the protocol, a stream that ends before its end marker, and a
// reply with no text. A partial answer is never returned as an answer.
#pragma once

#include "reply_reader.hpp"

#include "rlm/http/transport.hpp"

#include <functional>

namespace rlm::providers {

// Turns a refusal into a ProviderError: `status` is the HTTP status, or the code the server
// put in an error inside a 200 reply (0 when it gave none); `response` is null for the latter.
using Refusal = std::function<ProviderError(long status, const std::string& message,
                                            const http::Response* response)>;

// Who answers a client's calls, for what it says when they fail: the same on every call.
struct Endpoint {
  std::string server;     // "Ollama at http://..." or the base URL, for messages
  std::string start_hint; // how to start the server, for "nothing answers"
  Refusal refusal;
};

struct Exchange {
  http::Request request; // method, url, headers, body, timeouts, cancel
  bool stream = true;
  std::function<std::optional<std::size_t>(std::string_view)> end_early; // ChatRequest's
  std::int64_t max_tokens = 0; // the completion limit sent, for messages
  Endpoint endpoint;
};

std::expected<ChatResponse, ProviderError> exchange(http::Transport& transport, Exchange exchange,
                                                    ReplyReader& reader);

// The Exchange of one chat call, as both clients start it: `request` (url, headers, timeouts,
// body) sent as a POST with `chat`'s cancel flag and stream choice; `max_tokens` is the
// completion limit in the body; `endpoint` says who answers.
Exchange chat_exchange(http::Request request, const ChatRequest& chat, std::int64_t max_tokens,
                       Endpoint endpoint);

// Warns that `server` cut the prompt: it read `read` prompt tokens of about `sent` sent to
// `model`; `cause_and_fix` ends the line.
void warn_prompt_cut(std::string_view server, std::int64_t read, std::int64_t sent,
                     std::string_view model, std::string_view cause_and_fix);

// The message in an error body: {"error": "text"}, {"error": {"message": ...}}, or the start
// of the body when it is not JSON; made printable and cut.
std::string error_text(std::string_view body);

} // namespace rlm::providers
