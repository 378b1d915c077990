// Accounting: calls, failures and tokens (prompt, cached, completion) per provider and per
// role, and their cost where the config gives prices. Thread-safe; the pool records every
// call here and commands print the report.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/providers/provider.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rlm::providers {

struct Tally {
  std::int64_t calls = 0; // answered calls
  std::int64_t failures = 0;
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t reasoning_tokens = 0; // of the completion tokens (some estimated: Usage)
  double seconds = 0;                // time spent in answered calls
  std::int64_t priced_calls = 0;     // answered calls to providers with prices
  double priced_cost = 0;            // their cost, in the prices' currency
  std::int64_t cache_hits = 0;       // calls answered from the call cache: not in the above

  // The cost, or nothing when no call had a price; partial when only some had.
  std::optional<double> cost() const {
    return priced_calls > 0 ? std::optional(priced_cost) : std::nullopt;
  }
  bool cost_partial() const { return priced_calls > 0 && priced_calls < calls; }

  Tally& operator+=(const Tally& other);
};

struct UsageReport {
  struct ProviderLine {
    std::string name;
    Tally tally;
  };
  std::vector<ProviderLine> providers; // in config order
  Tally root;                          // calls made for the root role
  Tally sub;                           // calls made for sub-calls, whoever served them
  Tally total;
};

// What `usage` costs at `prices`, or nothing when the config gives no input or output price.
// Cached prompt tokens are charged at the cached price when given, else the input price.
std::optional<double> cost_of(const Usage& usage, const config::ProviderConfig& prices);

class Ledger {
public:
  explicit Ledger(std::vector<config::ProviderConfig> providers);

  void record_answer(std::size_t provider, config::Role role, const ChatResponse& response);
  void record_failure(std::size_t provider, config::Role role);
  void record_cache_hit(std::size_t provider, config::Role role);
  UsageReport report() const;

private:
  std::vector<config::ProviderConfig> m_providers;
  mutable std::mutex m_mutex;
  std::map<std::pair<std::size_t, config::Role>, Tally> m_tallies;
};

} // namespace rlm::providers
