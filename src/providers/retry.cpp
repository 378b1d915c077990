#include "rlm/providers/retry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace rlm::providers {

double backoff_seconds(int attempt, std::optional<double> retry_after, const RetryPolicy& policy,
                       double jitter) {
  if (retry_after) return std::clamp(*retry_after, 0.0, policy.max_delay_seconds);
  const double base = std::min(0.5 * std::pow(2.0, attempt), 8.0);
  return std::min(base * (1.0 - 0.25 * std::clamp(jitter, 0.0, 1.0)), policy.max_delay_seconds);
}

std::expected<ChatResponse, ProviderError>
chat_with_retries(Provider& provider, const ChatRequest& request, const RetryPolicy& policy,
                  const Sleeper& sleep, const std::function<double()>& jitter) {
  for (int attempt = 0;; ++attempt) {
    auto answer = provider.chat(request);
    if (answer) return answer;
    const auto& error = answer.error();
    const bool again = error.retryable && !error.produced_output && attempt < policy.max_retries;
    if (!again) return answer;
    const double wait = backoff_seconds(attempt, error.retry_after_seconds, policy, jitter());
    spdlog::info("{}: {}; retrying in {:.1f} s ({} of {})", provider.settings().name, error.message,
                 wait, attempt + 1, policy.max_retries);
    if (!sleep(wait))
      return std::unexpected(ProviderError{ProviderError::Kind::cancelled, "cancelled"});
  }
}

} // namespace rlm::providers
