// Record and replay of every provider exchange, at the one edge where rlm meets the network:
// `rlm ask --record FILE` wraps the real transport and writes each request and its reply
// (status, headers, the streamed pieces with their times, or the failure) to a cassette;
// `--replay FILE` serves a run from it with no network. Requests are matched by method, URL
// path and body (not the host: the replaying config may name other addresses), so parallel
// sub-calls may arrive in any order; identical requests (retries) take
// their recorded replies in order. A request the cassette does not hold fails with a line
// naming it and where it first differs from the nearest recorded one.
//
// The cassette is JSON lines: a header ({"type":"cassette","version":1}) and one
// {"type":"exchange"} line per request. API keys never reach it: request headers are not
// recorded, and every key the requests carried is replaced by "[redacted]" wherever a server
// echoed it back.
#pragma once

#include "rlm/http/transport.hpp"
#include "rlm/util/error.hpp"

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlm::http {

inline constexpr int k_cassette_version = 1;

class RecordingTransport final : public Transport {
public:
  // Opens FILE.partial for `inner`'s exchanges. Fails (ErrorKind::output) when it cannot.
  static Result<std::unique_ptr<RecordingTransport>> open(std::string path, Transport& inner);
  ~RecordingTransport() override;
  RecordingTransport(const RecordingTransport&) = delete;
  RecordingTransport& operator=(const RecordingTransport&) = delete;

  std::expected<Response, Failure> perform(const Request& request) override;

  // Renames FILE.partial to FILE: a cut run leaves FILE as it was. Fails (ErrorKind::output)
  // when an exchange could not be written or the rename failed.
  [[nodiscard]] Result<> finish();

private:
  RecordingTransport(std::string path, std::FILE* file, Transport& inner);

  std::string m_path;
  std::FILE* m_file = nullptr;
  Transport& m_inner;
  std::mutex m_mutex;
  int m_count = 0;
  bool m_failed = false;
};

class ReplayTransport final : public Transport {
public:
  // Reads a cassette. Fails (ErrorKind::input) when the file is missing, is not a cassette,
  // or has a line that cannot be read.
  static Result<std::unique_ptr<ReplayTransport>> open(const std::string& path);
  // The same from a cassette's text; `name` is what error lines call it.
  static Result<std::unique_ptr<ReplayTransport>> parse(std::string_view text,
                                                        const std::string& name);

  std::expected<Response, Failure> perform(const Request& request) override;

  // Recorded exchanges no request asked for (a run that ended sooner than the recorded one).
  int unused() const;

  // One recorded request and its reply.
  struct Exchange {
    std::string method;
    std::string url;
    std::string body;
    bool failed = false;
    Failure failure;                                    // when `failed`
    Response response;                                  // else; its body when not streamed
    std::vector<std::pair<double, std::string>> pieces; // a stream's pieces, at their times
  };

private:
  explicit ReplayTransport(std::string path);

  std::string m_path;
  std::vector<Exchange> m_exchanges;
  std::vector<bool> m_used;
  mutable std::mutex m_mutex;
  int m_requests = 0;
};

} // namespace rlm::http
