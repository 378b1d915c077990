// When to retry a chat call, the way openai-python does: connection errors, timeouts, 408,
// 409, 429 and 5xx are tried again after a backoff with jitter (or the server's Retry-After);
// 400, 401, 402, 404, 422 and context overflows never are, and neither is a stream that had
// already produced output. The providers mark each error retryable or not; the pool
// (pool.hpp) runs the loop.
#pragma once

#include "rlm/providers/provider.hpp"

#include <functional>
#include <optional>

namespace rlm::providers {

struct RetryPolicy {
  int max_retries = 2;
  double max_delay_seconds = 60.0; // cap on backoff and on Retry-After
};

// How long to wait before retry number `attempt` (0 for the first retry): the server's
// Retry-After when given, else min(0.5 * 2^attempt, 8) s reduced by up to a quarter by
// `jitter` (0..1); never more than the policy's cap.
double backoff_seconds(int attempt, std::optional<double> retry_after, const RetryPolicy& policy,
                       double jitter);

// Waits `seconds`; returns false when the wait was cut short (Ctrl-C).
using Sleeper = std::function<bool(double seconds)>;

} // namespace rlm::providers
