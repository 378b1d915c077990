// Turning transport failures and HTTP error replies into ProviderErrors, shared by the
// Ollama and OpenAI-compatible clients.
#pragma once

#include "rlm/http/transport.hpp"
#include "rlm/providers/provider.hpp"

#include <string>
#include <string_view>

namespace rlm::providers {

// A transport failure (nothing answered, timed out, broke off) for the server at `base_url`;
// `how_to_start` is the hint for an unreachable server.
ProviderError from_failure(const http::Failure& failure, std::string_view base_url,
                           std::string_view how_to_start);

// Seconds to wait from retry-after-ms or Retry-After (seconds or an HTTP date), if given.
std::optional<double> retry_after(const http::Response& response);

// Whether an error message speaks of the context window being exceeded.
bool mentions_context_overflow(std::string_view message);

} // namespace rlm::providers
