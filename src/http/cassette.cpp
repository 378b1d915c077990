#include "rlm/http/cassette.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace rlm::http {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string partial(const std::string& path) { return path + ".partial"; }

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// In the order of Failure::Kind.
constexpr std::string_view k_failure_kinds[] = {"connect", "timeout",   "dropped", "cancelled",
                                                "bad_url", "too_large", "other",   "not_recorded"};

std::string_view to_string(Failure::Kind kind) {
  return k_failure_kinds[static_cast<std::size_t>(kind)];
}

Failure::Kind failure_kind(std::string_view name) {
  for (std::size_t i = 0; i < std::size(k_failure_kinds); ++i) {
    if (k_failure_kinds[i] == name) return static_cast<Failure::Kind>(i);
  }
  return Failure::Kind::other;
}

// The secrets a request carries in its headers: the values of Authorization (and the token
// after "Bearer "), x-api-key and api-key.
std::vector<std::string> secrets_of(const Request& request) {
  std::vector<std::string> secrets;
  for (const auto& header : request.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos) continue;
    auto name = header.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name != "authorization" && name != "x-api-key" && name != "api-key") continue;
    auto value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (value.starts_with("Bearer ")) secrets.push_back(value.substr(7));
    if (!value.empty()) secrets.push_back(value);
  }
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 4; });
  return secrets;
}

std::string redacted(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

// A URL without its scheme and host: a cassette replays against a server at another address
// (someone else's config), and the body names the model.
std::string_view path_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return url;
  const auto path = url.find('/', scheme + 3);
  return path == std::string_view::npos ? std::string_view("/") : url.substr(path);
}

// Where two texts first differ, and a little of each there.
std::string first_difference(const std::string& sent, const std::string& recorded) {
  const auto [a, b] = std::mismatch(sent.begin(), sent.end(), recorded.begin(), recorded.end());
  const auto at = static_cast<std::size_t>(a - sent.begin());
  (void)b;
  const auto from = at < 20 ? 0 : at - 20;
  return fmt::format("at byte {}: sent \"{}\", recorded \"{}\"", with_commas(at),
                     printable(sent.substr(from, 60), 80),
                     printable(recorded.substr(from, 60), 80));
}

} // namespace

// --- recording ------------------------------------------------------------------------------

Result<std::unique_ptr<RecordingTransport>> RecordingTransport::open(std::string path,
                                                                     Transport& inner) {
  std::FILE* file = std::fopen(partial(path).c_str(), "w");
  if (file == nullptr) {
    return fail(ErrorKind::output,
                fmt::format("cannot write the cassette {}: {}", printable(partial(path), 200),
                            std::strerror(errno)),
                "check the folder exists and is writable");
  }
  const auto header = json{{"type", "cassette"}, {"version", k_cassette_version}}.dump() + "\n";
  std::fputs(header.c_str(), file);
  return std::unique_ptr<RecordingTransport>(new RecordingTransport(std::move(path), file, inner));
}

RecordingTransport::RecordingTransport(std::string path, std::FILE* file, Transport& inner)
    : m_path(std::move(path)), m_file(file), m_inner(inner) {}

RecordingTransport::~RecordingTransport() {
  if (m_file == nullptr) return;
  std::fclose(m_file); // unfinished: FILE is kept as it was; what was recorded stays beside it
  if (m_count > 0) {
    spdlog::warn("the run ended before its cassette was finished: its {} exchange(s) are in {}",
                 m_count, printable(partial(m_path), 200));
  }
}

std::expected<Response, Failure> RecordingTransport::perform(const Request& request) {
  const auto secrets = secrets_of(request);
  const auto started = Clock::now();
  json pieces = json::array();
  std::mutex pieces_mutex;
  Request recorded = request;
  if (request.on_data) {
    recorded.on_data = [&](std::string_view data) {
      {
        const std::lock_guard lock(pieces_mutex);
        pieces.push_back({since(started), redacted(std::string(data), secrets)});
      }
      return request.on_data(data);
    };
  }
  auto reply = m_inner.perform(recorded);
  json line = {{"type", "exchange"},
               {"method", to_string(request.method)},
               {"url", redacted(request.url, secrets)},
               {"body", redacted(request.body, secrets)},
               {"seconds", since(started)}};
  if (reply) {
    json headers = json::object();
    for (const auto& [name, value] : reply->headers) {
      if (name != "set-cookie") headers[name] = redacted(value, secrets);
    }
    line["status"] = reply->status;
    line["headers"] = std::move(headers);
    if (request.on_data && reply->status / 100 == 2) {
      line["pieces"] = std::move(pieces);
    } else {
      line["response_body"] = redacted(reply->body, secrets);
    }
  } else {
    line["failure"] = {{"kind", to_string(reply.error().kind)},
                       {"message", redacted(reply.error().message, secrets)},
                       {"received_data", reply.error().received_data}};
    if (!pieces.empty()) line["pieces"] = std::move(pieces);
  }
  const std::lock_guard lock(m_mutex);
  line["n"] = ++m_count;
  const auto text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (std::fputs(text.c_str(), m_file) < 0 || std::fflush(m_file) != 0) m_failed = true;
  return reply;
}

Result<> RecordingTransport::finish() {
  const std::lock_guard lock(m_mutex);
  const bool closed = std::fclose(m_file) == 0;
  m_file = nullptr;
  std::error_code ec;
  if (!m_failed && closed) std::filesystem::rename(partial(m_path), m_path, ec);
  if (m_failed || !closed || ec) {
    return fail(ErrorKind::output,
                fmt::format("cannot finish the cassette {}: {}", printable(m_path, 200),
                            ec ? ec.message() : "a write failed (disk full?)"),
                fmt::format("what was recorded is in {}", printable(partial(m_path), 200)));
  }
  return {};
}

// --- replaying ------------------------------------------------------------------------------

namespace {

// Throws json::exception for a missing or mistyped field.
ReplayTransport::Exchange read_exchange(const json& line) {
  ReplayTransport::Exchange e;
  e.method = line.at("method").get<std::string>();
  e.url = line.at("url").get<std::string>();
  e.body = line.at("body").get<std::string>();
  if (const auto failure = line.find("failure"); failure != line.end()) {
    e.failed = true;
    e.failure = {failure_kind(failure->at("kind").get<std::string>()),
                 failure->at("message").get<std::string>(),
                 failure->at("received_data").get<bool>()};
  } else {
    e.response.status = line.at("status").get<long>();
    for (const auto& [name, value] : line.at("headers").items())
      e.response.headers[name] = value.get<std::string>();
    e.response.body = line.value("response_body", "");
  }
  if (const auto pieces = line.find("pieces"); pieces != line.end()) {
    for (const auto& piece : *pieces)
      e.pieces.emplace_back(piece.at(0).get<double>(), piece.at(1).get<std::string>());
  }
  e.response.seconds = line.value("seconds", 0.0);
  return e;
}

} // namespace

ReplayTransport::ReplayTransport(std::string path) : m_path(std::move(path)) {}

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::open(const std::string& path) {
  const auto shown = printable(path, 200);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::input,
                fmt::format("cannot read the cassette {}: {}", shown, std::strerror(errno)),
                "record one with rlm ask --record FILE");
  }
  std::unique_ptr<ReplayTransport> replay(new ReplayTransport(path));
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    const auto line = json::parse(text, nullptr, false);
    const auto bad = [&](std::string_view why) {
      return fail(ErrorKind::input, fmt::format("{} line {}: {}", shown, number, why),
                  "record the run again with --record FILE");
    };
    if (!line.is_object()) return bad("not a JSON object");
    if (number == 1) {
      if (line.value("type", "") != "cassette") return bad("not an rlm cassette");
      if (line.value("version", 0) != k_cassette_version)
        return bad(fmt::format("cassette version {}, but this rlm reads version {}",
                               line.value("version", 0), k_cassette_version));
      continue;
    }
    if (line.value("type", "") != "exchange") continue; // a later version's other lines
    try {
      replay->m_exchanges.push_back(read_exchange(line));
    } catch (const json::exception&) {
      return bad("an exchange with a missing or mistyped field");
    }
  }
  if (number == 0) {
    return fail(ErrorKind::input, fmt::format("{} is empty: not an rlm cassette", shown),
                "record one with rlm ask --record FILE");
  }
  if (in.bad()) return fail(ErrorKind::input, fmt::format("cannot read the cassette {}", shown));
  replay->m_used.assign(replay->m_exchanges.size(), false);
  return replay;
}

std::expected<Response, Failure> ReplayTransport::perform(const Request& request) {
  const Exchange* found = nullptr;
  std::string miss;
  {
    const std::lock_guard lock(m_mutex);
    const int number = ++m_requests;
    const auto method = std::string(to_string(request.method));
    const Exchange* nearest = nullptr;
    std::size_t nearest_common = 0;
    for (std::size_t i = 0; i < m_exchanges.size() && found == nullptr; ++i) {
      const auto& e = m_exchanges[i];
      if (e.method != method || path_of(e.url) != path_of(request.url)) continue;
      if (e.body == request.body && !m_used[i]) {
        m_used[i] = true;
        found = &e;
        break;
      }
      const auto common = static_cast<std::size_t>(
          std::mismatch(request.body.begin(), request.body.end(), e.body.begin(), e.body.end())
              .first -
          request.body.begin());
      if (nearest == nullptr || common > nearest_common) {
        nearest = &e;
        nearest_common = common;
      }
    }
    if (found == nullptr) {
      miss = fmt::format("replay: request {} ({} {}) is not in the cassette {}", number, method,
                         printable(request.url, 200), printable(m_path, 200));
      if (nearest != nullptr && nearest->body == request.body) {
        miss += ": it was recorded fewer times than it was sent now";
      } else if (nearest != nullptr) {
        miss += "; the nearest recorded request differs " +
                first_difference(request.body, nearest->body);
      }
      miss += "; the run went differently from the recorded one (record it again with --record)";
    }
  }
  if (found == nullptr) return std::unexpected(Failure{Failure::Kind::not_recorded, miss, false});
  if (request.cancel != nullptr && request.cancel->load())
    return std::unexpected(Failure{Failure::Kind::cancelled, "cancelled", false});
  Response response = found->response;
  if (request.on_data && !found->pieces.empty()) {
    for (const auto& [at, data] : found->pieces) {
      (void)at;
      response.bytes += data.size();
      if (!request.on_data(data))
        return std::unexpected(Failure{Failure::Kind::cancelled, "cancelled", true});
    }
  } else if (!request.on_data) {
    for (const auto& [at, data] : found->pieces) {
      (void)at;
      response.body += data;
    }
    response.bytes = response.body.size();
  } else {
    response.bytes = response.body.size();
  }
  if (found->failed) return std::unexpected(found->failure);
  return response;
}

int ReplayTransport::unused() const {
  const std::lock_guard lock(m_mutex);
  return static_cast<int>(std::count(m_used.begin(), m_used.end(), false));
}

} // namespace rlm::http
