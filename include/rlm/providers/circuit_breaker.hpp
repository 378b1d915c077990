// Keeps rlm from hammering a host that is down: after a run of failures a provider is left
// alone for a cooldown (doubling each time it fails again, up to a cap); then one trial
// request decides whether it is back. Errors no retry can fix (a bad key, a missing model)
// take the provider out for the rest of the run. Not thread-safe: the pool locks around it.
#pragma once

#include <string>

namespace rlm::providers {

struct BreakerSettings {
  int failure_threshold = 3;         // consecutive failures that open the circuit
  double cooldown_seconds = 10.0;    // the first time it opens
  double max_cooldown_seconds = 120; // the cap as the cooldown doubles
};

class CircuitBreaker {
public:
  enum class State { closed, open, half_open, disabled };

  explicit CircuitBreaker(BreakerSettings settings = {}) : m_settings(settings) {}

  // May a request go out at `now`? Closed: yes. Open: no until the cooldown ends, then one
  // trial request (half-open) and no others until it finishes.
  bool allows(double now) const;
  // Whether a request could go out later without a new failure: closed, or half-open with
  // its trial in flight. False when open or disabled.
  bool may_recover(double now) const;
  // The caller sends a request it was allowed; returns true when that request is the
  // half-open trial. The outcome must be reported with the same flag.
  bool on_send(double now);
  void on_success();
  void on_failure(double now, bool trial);
  // The request ended without saying anything about the host (cancelled): only the trial
  // slot is freed.
  void on_abandon(bool trial);
  // Out for the rest of the run; `reason` is the one-line error that caused it.
  void disable(std::string reason);

  State state(double now) const;
  double open_until() const { return m_open_until; }
  const std::string& disabled_reason() const { return m_disabled_reason; }

private:
  BreakerSettings m_settings;
  int m_failures = 0;
  int m_trips = 0; // times opened since the last success: sets the cooldown
  double m_open_until = 0;
  bool m_trial_in_flight = false;
  bool m_disabled = false;
  std::string m_disabled_reason;
};

} // namespace rlm::providers
