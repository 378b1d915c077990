#include "rlm/providers/circuit_breaker.hpp"

#include <algorithm>
#include <cmath>

namespace rlm::providers {

CircuitBreaker::State CircuitBreaker::state(double now) const {
  if (m_disabled) return State::disabled;
  if (m_trips == 0) return State::closed;
  return now < m_open_until ? State::open : State::half_open;
}

bool CircuitBreaker::allows(double now) const {
  switch (state(now)) {
  case State::closed: return true;
  case State::half_open: return !m_trial_in_flight;
  case State::open:
  case State::disabled: return false;
  }
  return false;
}

bool CircuitBreaker::may_recover(double now) const {
  const auto s = state(now);
  return s == State::closed || s == State::half_open;
}

bool CircuitBreaker::on_send(double now) {
  if (state(now) != State::half_open) return false;
  m_trial_in_flight = true;
  return true;
}

void CircuitBreaker::on_abandon(bool trial) {
  if (trial) m_trial_in_flight = false;
}

void CircuitBreaker::on_success() {
  m_failures = 0;
  m_trips = 0;
  m_trial_in_flight = false;
}

void CircuitBreaker::on_failure(double now, bool trial) {
  if (trial) m_trial_in_flight = false;
  ++m_failures;
  if (m_trips > 0 && !trial) return; // already open: a straggler's failure adds nothing
  if (m_trips == 0 && m_failures < m_settings.failure_threshold) return;
  // A failed trial reopens at once, for twice as long: the host was given its chance.
  const double cooldown = std::min(m_settings.cooldown_seconds * std::pow(2.0, m_trips),
                                   m_settings.max_cooldown_seconds);
  ++m_trips;
  m_open_until = now + cooldown;
}

void CircuitBreaker::disable(std::string reason) {
  m_disabled = true;
  m_disabled_reason = std::move(reason);
}

} // namespace rlm::providers
