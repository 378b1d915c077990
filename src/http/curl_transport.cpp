// libcurl behind the Transport interface. Notes on the choices:
//  - CURLOPT_NOSIGNAL on every handle (threads); SIGPIPE is the caller's to ignore.
//  - Connections and DNS are shared across handles (curl share + a mutex per lock kind),
//    so sequential calls to one server reuse its connection.
//  - The idle timeout is ours, not CURLOPT_LOW_SPEED_TIME: keep-alive comments in an SSE
//    stream are bytes to curl but not progress to us. The progress callback aborts when
//    no *progress* arrived for Timeouts::idle, or when the cancel flag is set.
//  - Proxies come from the standard environment variables (libcurl's default).
#include "rlm/http/curl_transport.hpp"

#include <curl/curl.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>

namespace rlm::http {

namespace {

using Clock = std::chrono::steady_clock;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// State shared with curl's callbacks during one transfer.
struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  CURL* handle = nullptr;
  Clock::time_point last_progress;
  bool idle_timeout = false;
  bool cancelled = false;
  bool too_large = false;
  std::string callback_failure; // an exception from on_data, caught before it reached curl
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string_view piece(data, size * count);
  t.response->bytes += piece.size();
  if (t.response->bytes > t.request->max_body_bytes) {
    t.too_large = true;
    return 0; // aborts the transfer: a server must not fill our memory
  }
  if (!t.request->is_progress || t.request->is_progress(piece)) t.last_progress = Clock::now();
  // Headers are complete once the body starts: an error reply's body goes to
  // Response::body for the caller's message, never into a stream parser.
  long status = 0;
  curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &status);
  if (t.request->on_data && status >= 200 && status < 300) {
    // C++ exceptions must not unwind through libcurl's C frames: a reader that throws is
    // recorded, and the transfer ends the way a refused piece ends it.
    bool go_on = false;
    try {
      go_on = t.request->on_data(piece);
    } catch (const std::exception& error) {
      t.callback_failure = error.what();
    } catch (...) {
      t.callback_failure = "an unknown error";
    }
    if (!go_on) {
      t.cancelled = t.callback_failure.empty();
      return 0; // aborts the transfer; curl closes the connection rather than reuse it
    }
  } else if (t.request->on_data) {
    t.response->body.append(piece.substr(
        0, std::min<std::size_t>(piece.size(),
                                 65536 - std::min<std::size_t>(t.response->body.size(), 65536))));
  } else {
    t.response->body.append(piece);
  }
  return piece.size();
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::ranges::transform(name, name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t.response->headers[name] = std::string(value);
  }
  return line.size();
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  if (t.request->cancel != nullptr && t.request->cancel->load()) {
    t.cancelled = true;
    return 1;
  }
  if (Clock::now() - t.last_progress > t.request->timeouts.idle) {
    t.idle_timeout = true;
    return 1;
  }
  return 0;
}

Failure classify(CURLcode code, const Transfer& t, const Request& request, const char* detail) {
  const bool data = t.response->bytes > 0;
  const std::string where = request.url;
  const std::string why = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  if (t.too_large) {
    return {Failure::Kind::too_large,
            fmt::format("the reply from {} passed {} MiB and was abandoned", where,
                        request.max_body_bytes >> 20),
            data};
  }
  if (!t.callback_failure.empty()) {
    return {Failure::Kind::other,
            fmt::format("rlm could not read the reply from {}: {}", where, t.callback_failure),
            data};
  }
  if (t.cancelled)
    return {Failure::Kind::cancelled, fmt::format("request to {} cancelled", where), data};
  if (t.idle_timeout) {
    return {Failure::Kind::timeout,
            fmt::format(
                "no data from {} for {} s", where,
                std::chrono::duration_cast<std::chrono::seconds>(request.timeouts.idle).count()),
            data};
  }
  switch (code) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return {Failure::Kind::connect, fmt::format("cannot connect to {}: {}", where, why), data};
  case CURLE_UNSUPPORTED_PROTOCOL:
    // Also what curl says when the bytes that came back were not HTTP ("Received HTTP/0.9").
    if (why.find("HTTP/0.9") != std::string::npos) {
      return {Failure::Kind::dropped, fmt::format("{} did not answer in HTTP ({})", where, why),
              data};
    }
    [[fallthrough]];
  case CURLE_URL_MALFORMAT:
    return {Failure::Kind::bad_url, fmt::format("{} is not a URL rlm can use: {}", where, why),
            data};
  case CURLE_OPERATION_TIMEDOUT:
    return {Failure::Kind::timeout, fmt::format("{} timed out: {}", where, why), data};
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
    return {Failure::Kind::dropped, fmt::format("the connection to {} broke: {}", where, why),
            data};
  default: return {Failure::Kind::other, fmt::format("request to {} failed: {}", where, why), data};
  }
}

} // namespace

struct CurlTransport::Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
};

CurlTransport::CurlTransport() : m_shared(std::make_unique<Shared>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  m_shared->share = curl_share_init();
  curl_share_setopt(m_shared->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(m_shared->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(m_shared->share, CURLSHOPT_USERDATA, m_shared.get());
  curl_share_setopt(
      m_shared->share, CURLSHOPT_LOCKFUNC,
      +[](CURL*, curl_lock_data data, curl_lock_access, void* user) {
        static_cast<Shared*>(user)->locks.at(static_cast<std::size_t>(data)).lock();
      });
  curl_share_setopt(
      m_shared->share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data data, void* user) {
        static_cast<Shared*>(user)->locks.at(static_cast<std::size_t>(data)).unlock();
      });
}

CurlTransport::~CurlTransport() { curl_share_cleanup(m_shared->share); }

std::expected<Response, Failure> CurlTransport::perform(const Request& request) {
  Response response;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  transfer.last_progress = Clock::now();
  const std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle)
    return std::unexpected(Failure{Failure::Kind::other, "cannot create an HTTP handle", false});
  std::unique_ptr<curl_slist, ListDeleter> headers;
  for (const auto& h : request.headers)
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  std::array<char, CURL_ERROR_SIZE> error{};
  CURL* h = handle.get();
  transfer.handle = h;
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_SHARE, m_shared->share);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.timeouts.connect.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeouts.total.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  if (request.method == Method::post) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  const auto started = Clock::now();
  const CURLcode code = curl_easy_perform(h);
  response.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (code != CURLE_OK) return std::unexpected(classify(code, transfer, request, error.data()));
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &response.new_connections);
  return response;
}

} // namespace rlm::http
