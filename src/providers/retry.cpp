#include "rlm/providers/retry.hpp"

#include <algorithm>
#include <cmath>

namespace rlm::providers {

double backoff_seconds(int attempt, std::optional<double> retry_after, const RetryPolicy& policy,
                       double jitter) {
  if (retry_after) return std::clamp(*retry_after, 0.0, policy.max_delay_seconds);
  const double base = std::min(0.5 * std::pow(2.0, attempt), 8.0);
  return std::min(base * (1.0 - 0.25 * std::clamp(jitter, 0.0, 1.0)), policy.max_delay_seconds);
}

} // namespace rlm::providers
