// HTTP as providers need it: one request, an optional stream of body bytes as they arrive,
// timeouts that mean what users expect, and cancellation. An interface, so provider clients
// can be tested without a network.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::http {

struct Timeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds idle{300'000};    // no *data* for this long ends the request
  std::chrono::milliseconds total{1'800'000}; // the whole request
};

// The HTTP methods providers use.
enum class Method { get, post };

// "GET" or "POST", as on the wire.
constexpr const char* to_string(Method method) { return method == Method::post ? "POST" : "GET"; }

struct Request {
  Method method = Method::get;
  std::string url;
  std::vector<std::string> headers; // "Name: value"
  std::string body;
  Timeouts timeouts;
  // Called with each piece of a 2xx reply's body as it arrives (streaming); return false to
  // stop. When empty, or for an error status, the body is collected into Response::body
  // (an error body up to 64 KiB).
  std::function<bool(std::string_view)> on_data;
  // Returns true when data counts as progress for the idle timer (keep-alive comments
  // do not); when empty, every byte counts.
  std::function<bool(std::string_view)> is_progress;
  const std::atomic<bool>* cancel = nullptr; // set it to abort the request
  // A reply body (streamed or not) larger than this is abandoned: Failure::Kind::other.
  std::uint64_t max_body_bytes = 64ULL << 20;
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;                           // only when Request::on_data is empty
  std::uint64_t bytes = 0;                    // body bytes received
  long new_connections = 0;                   // 0 when an open connection was reused
  double seconds = 0;
};

struct Failure {
  enum class Kind {
    connect,   // could not connect (refused, unreachable, DNS)
    timeout,   // connect, idle or total timeout
    dropped,   // the connection broke during the transfer
    cancelled, // the cancel flag was set, or on_data returned false
    bad_url,   // the URL cannot be used (malformed, unsupported scheme): retrying cannot help
    too_large, // the reply passed Request::max_body_bytes and was abandoned
    other,
    not_recorded, // a replayed run sent a request its cassette does not hold (cassette.hpp)
  };
  Kind kind = Kind::other;
  std::string message; // one line, no secrets
  bool received_data = false;
};

class Transport {
public:
  virtual ~Transport() = default;
  // Performs `request`; safe to call from several threads at once.
  virtual std::expected<Response, Failure> perform(const Request& request) = 0;
};

} // namespace rlm::http
