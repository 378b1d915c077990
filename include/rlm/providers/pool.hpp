// The providers of a run, by role. A call goes to one provider of its role, chosen by weight
// among those with a free slot (each provider has its own concurrency limit); when that one
// fails in a way another might not, the call fails over to another of the same role, and when
// all have been tried it retries with backoff as the policy allows. A circuit breaker per
// provider keeps a dead host from being hammered. With no "sub" provider, the root providers
// serve sub-calls. Every call is accounted in the pool's ledger.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/providers/circuit_breaker.hpp"
#include "rlm/providers/ledger.hpp"
#include "rlm/providers/provider.hpp"
#include "rlm/providers/retry.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace rlm::providers {

struct PoolOptions {
  RetryPolicy retry;
  BreakerSettings breaker;
  Sleeper sleep;                  // empty: sleep, waking early when the request is cancelled
  std::function<double()> jitter; // empty: uniform in [0, 1)
  std::function<double()> now;    // seconds on a monotonic clock; empty: steady_clock
};

struct PoolAnswer {
  ChatResponse response;
  std::string provider;       // the name of the provider that answered
  int attempts = 1;           // requests sent, counting failovers and retries
  std::optional<double> cost; // at the answering provider's prices, when it has them
};

class Pool {
public:
  Pool(std::vector<std::unique_ptr<Provider>> providers, PoolOptions options = {});

  std::expected<PoolAnswer, ProviderError> chat(config::Role role, const ChatRequest& request);

  // The role whose providers serve calls for `role`: sub falls back to root when no provider
  // has the sub role.
  config::Role serving_role(config::Role role) const;
  // Whether any provider is configured for `role` (after the fallback above).
  bool serves(config::Role role) const;

  UsageReport usage() const { return m_ledger.report(); }

  // The smallest prompt room (Provider::prompt_room_chars) of the providers serving `role`;
  // nothing when one of them does not know its window.
  std::optional<std::int64_t> prompt_room_chars(config::Role role) const;
  // The smallest window (Provider::window_tokens) of the providers serving `role`, among
  // those that know theirs.
  std::optional<std::int64_t> window_tokens(config::Role role) const;
  // Asks every provider for its window at once, one thread each, and returns when all have
  // answered: a run's first request needs the root's and the sub's, and the providers keep
  // them (a failed probe stays soft, as when asked later).
  void warm_up() const;

private:
  struct Member {
    std::unique_ptr<Provider> provider;
    CircuitBreaker breaker;
    std::int64_t in_flight = 0;
    std::optional<std::int64_t> limit; // Provider::concurrency, asked once, before the first call
    double current_weight = 0;         // smooth weighted round robin (as nginx balances upstreams)
    std::string last_error;
    std::optional<ProviderError::Kind> disabled_kind; // why the breaker took it out, if it did
  };

  struct Slot {
    std::size_t index = 0;
    bool trial = false; // the circuit breaker's half-open trial
  };
  // Takes a slot on a provider of `role`, preferring ones not in `tried`; waits while all
  // that could take the call are busy. An error when none can.
  std::expected<Slot, ProviderError> acquire(config::Role role, const std::set<std::size_t>& tried,
                                             const std::atomic<bool>* cancel);
  // Asks each provider of `role` once how many calls it takes (it may ask its server, so not
  // under the lock; usually the window probe has already asked).
  void resolve_limits(config::Role role);
  void release(Slot slot, const std::expected<ChatResponse, ProviderError>& outcome);
  bool has_untried(config::Role role, const std::set<std::size_t>& tried) const;
  bool sleep(double seconds, const std::atomic<bool>* cancel) const;
  double now() const;

  std::vector<Member> m_members;
  PoolOptions m_options;
  Ledger m_ledger;
  mutable std::mutex m_mutex;
  std::condition_variable m_slot_freed;
};

// Whether trying another provider (or the same one later) could help after `error`.
bool worth_another_provider(const ProviderError& error);

} // namespace rlm::providers
