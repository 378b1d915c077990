#include "rlm/http/cassette.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

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

// An exchange line read with typed accessors (a cassette may come from a stranger's bug
// report); nothing when a field is missing or mistyped.
std::optional<ReplayTransport::Exchange> read_exchange(const json& line) {
  namespace field = json_field;
  ReplayTransport::Exchange e;
  const auto* method = field::string(line, "method");
  const auto* url = field::string(line, "url");
  const auto* body = field::string(line, "body");
  if (method == nullptr || url == nullptr || body == nullptr) return std::nullopt;
  e.method = *method;
  e.url = *url;
  e.body = *body;
  if (const auto* failure = field::object(line, "failure")) {
    const auto* kind = field::string(*failure, "kind");
    const auto* message = field::string(*failure, "message");
    const auto received = field::boolean(*failure, "received_data");
    if (kind == nullptr || message == nullptr || !received) return std::nullopt;
    e.failed = true;
    e.failure = {failure_kind(*kind), *message, *received};
  } else {
    const auto status = field::integer(line, "status", 100, 999);
    const auto* headers = field::object(line, "headers");
    if (!status || headers == nullptr) return std::nullopt;
    e.response.status = static_cast<long>(*status);
    for (const auto& [name, value] : headers->items()) {
      if (!value.is_string()) return std::nullopt;
      e.response.headers[name] = value.get<std::string>();
    }
    if (const auto* response_body = field::string(line, "response_body"))
      e.response.body = *response_body;
  }
  if (const auto* pieces = field::array(line, "pieces")) {
    for (const auto& piece : *pieces) {
      if (!piece.is_array() || piece.size() != 2 || !piece[0].is_number() || !piece[1].is_string())
        return std::nullopt;
      e.pieces.emplace_back(piece[0].get<double>(), piece[1].get<std::string>());
    }
  }
  e.response.seconds = field::number(line, "seconds").value_or(0.0);
  return e;
}

} // namespace

ReplayTransport::ReplayTransport(std::string path) : m_path(std::move(path)) {}

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return fail(
        ErrorKind::input,
        fmt::format("cannot read the cassette {}: {}", printable(path, 200), std::strerror(errno)),
        "record one with rlm ask --record FILE");
  }
  return parse(text.str(), path);
}

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::parse(std::string_view text,
                                                                const std::string& name) {
  const auto shown = printable(name, 200);
  if (text.empty()) {
    return fail(ErrorKind::input, fmt::format("{} is empty: not an rlm cassette", shown),
                "record one with rlm ask --record FILE");
  }
  std::unique_ptr<ReplayTransport> replay(new ReplayTransport(name));
  int number = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = parse_untrusted_json(text.substr(at, end - at));
    at = end + 1;
    ++number;
    const auto bad = [&](std::string_view why) {
      return fail(ErrorKind::input, fmt::format("{} line {}: {}", shown, number, why),
                  "record the run again with --record FILE");
    };
    if (!line || !line->is_object()) return bad("not a JSON object");
    const auto* type = json_field::string(*line, "type");
    if (number == 1) {
      if (type == nullptr || *type != "cassette") return bad("not an rlm cassette");
      const auto version = json_field::integer(*line, "version", 0, 1'000'000);
      if (version != k_cassette_version)
        return bad(fmt::format("cassette version {}, but this rlm reads version {}",
                               version ? std::to_string(*version) : "unknown", k_cassette_version));
      continue;
    }
    if (type == nullptr || *type != "exchange") continue; // a later version's other lines
    auto exchange = read_exchange(*line);
    if (!exchange) return bad("an exchange with a missing or mistyped field");
    replay->m_exchanges.push_back(std::move(*exchange));
  }
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
