#include "http_errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace rlm::providers {

const char* to_string(ProviderError::Kind kind) {
  switch (kind) {
  case ProviderError::Kind::unreachable: return "unreachable";
  case ProviderError::Kind::timeout: return "timeout";
  case ProviderError::Kind::model_not_found: return "model_not_found";
  case ProviderError::Kind::context_overflow: return "context_overflow";
  case ProviderError::Kind::auth: return "auth";
  case ProviderError::Kind::balance: return "balance";
  case ProviderError::Kind::rate_limited: return "rate_limited";
  case ProviderError::Kind::overloaded: return "overloaded";
  case ProviderError::Kind::bad_request: return "bad_request";
  case ProviderError::Kind::server: return "server";
  case ProviderError::Kind::protocol: return "protocol";
  case ProviderError::Kind::empty_reply: return "empty_reply";
  case ProviderError::Kind::cancelled: return "cancelled";
  }
  return "?";
}

bool repeats_every_call(ProviderError::Kind kind) {
  using Kind = ProviderError::Kind;
  return kind == Kind::model_not_found || kind == Kind::auth || kind == Kind::balance ||
         kind == Kind::bad_request;
}

ProviderError from_failure(const http::Failure& failure, std::string_view base_url,
                           std::string_view how_to_start) {
  using Kind = ProviderError::Kind;
  switch (failure.kind) {
  case http::Failure::Kind::connect:
    return ProviderError::transient(
        Kind::unreachable, fmt::format("nothing answers at {}; {}", base_url, how_to_start));
  case http::Failure::Kind::timeout:
    return ProviderError::transient(Kind::timeout, failure.message);
  case http::Failure::Kind::dropped:
    return ProviderError::transient(Kind::protocol, failure.message);
  case http::Failure::Kind::cancelled: return {Kind::cancelled, "cancelled"};
  case http::Failure::Kind::too_large: return {Kind::protocol, failure.message}; // not again
  case http::Failure::Kind::bad_url:
    return {Kind::bad_request, fmt::format("{}; fix base_url", failure.message)};
  case http::Failure::Kind::other: break;
  case http::Failure::Kind::not_recorded: return {Kind::bad_request, failure.message}; // stops
  }
  return ProviderError::transient(Kind::unreachable, failure.message);
}

std::optional<double> retry_after(const http::Response& response) {
  if (const auto it = response.headers.find("retry-after-ms"); it != response.headers.end()) {
    try {
      return std::stod(it->second) / 1000.0;
    } catch (const std::exception&) {
    }
  }
  const auto it = response.headers.find("retry-after");
  if (it == response.headers.end()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double seconds = std::stod(it->second, &used);
    if (used == it->second.size()) return std::max(0.0, seconds);
  } catch (const std::exception&) {
  }
  std::tm date{};
  if (::strptime(it->second.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &date) != nullptr) {
    return std::max(0.0, std::difftime(::timegm(&date), std::time(nullptr)));
  }
  return std::nullopt;
}

bool mentions_context_overflow(std::string_view message) {
  std::string lower(message);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto* phrase : {"context length", "context size", "context window", "exceed_context",
                             "too long", "maximum context", "exceeds the available context"}) {
    if (lower.find(phrase) != std::string::npos) return true;
  }
  return false;
}

} // namespace rlm::providers
