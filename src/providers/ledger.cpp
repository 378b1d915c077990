#include "rlm/providers/ledger.hpp"

#include "rlm/util/saturating.hpp"

#include <algorithm>

namespace rlm::providers {

Tally& Tally::operator+=(const Tally& other) {
  // Token counts come from servers: sums saturate rather than overflow.
  calls = saturating_add(calls, other.calls);
  failures = saturating_add(failures, other.failures);
  prompt_tokens = saturating_add(prompt_tokens, other.prompt_tokens);
  cached_tokens = saturating_add(cached_tokens, other.cached_tokens);
  completion_tokens = saturating_add(completion_tokens, other.completion_tokens);
  reasoning_tokens = saturating_add(reasoning_tokens, other.reasoning_tokens);
  seconds += other.seconds;
  priced_calls = saturating_add(priced_calls, other.priced_calls);
  priced_cost += other.priced_cost;
  cache_hits = saturating_add(cache_hits, other.cache_hits);
  return *this;
}

std::optional<double> cost_of(const Usage& usage, const config::ProviderConfig& prices) {
  if (!prices.price_input_per_mtok || !prices.price_output_per_mtok) return std::nullopt;
  const double input = *prices.price_input_per_mtok;
  const double cached = prices.price_cached_input_per_mtok.value_or(input);
  const auto fresh =
      std::max<std::int64_t>(0, saturating_sub(usage.prompt_tokens, usage.cached_tokens));
  return (static_cast<double>(fresh) * input + static_cast<double>(usage.cached_tokens) * cached +
          static_cast<double>(usage.completion_tokens) * *prices.price_output_per_mtok) /
         1e6;
}

Ledger::Ledger(std::vector<config::ProviderConfig> providers) : m_providers(std::move(providers)) {}

void Ledger::record_answer(std::size_t provider, config::Role role, const ChatResponse& response) {
  const auto cost = cost_of(response.usage, m_providers.at(provider));
  const std::lock_guard lock(m_mutex);
  auto& t = m_tallies[{provider, role}];
  ++t.calls;
  t.prompt_tokens = saturating_add(t.prompt_tokens, response.usage.prompt_tokens);
  t.cached_tokens = saturating_add(t.cached_tokens, response.usage.cached_tokens);
  t.completion_tokens = saturating_add(t.completion_tokens, response.usage.completion_tokens);
  t.reasoning_tokens = saturating_add(t.reasoning_tokens, response.usage.reasoning_tokens);
  t.seconds += response.seconds;
  if (cost) {
    ++t.priced_calls;
    t.priced_cost += *cost;
  }
}

void Ledger::record_failure(std::size_t provider, config::Role role) {
  const std::lock_guard lock(m_mutex);
  ++m_tallies[{provider, role}].failures;
}

void Ledger::record_cache_hit(std::size_t provider, config::Role role) {
  const std::lock_guard lock(m_mutex);
  ++m_tallies[{provider, role}].cache_hits;
}

UsageReport Ledger::report() const {
  UsageReport report;
  for (const auto& p : m_providers) report.providers.push_back({p.name, {}});
  const std::lock_guard lock(m_mutex);
  for (const auto& [key, tally] : m_tallies) {
    report.providers[key.first].tally += tally;
    (key.second == config::Role::root ? report.root : report.sub) += tally;
    report.total += tally;
  }
  return report;
}

} // namespace rlm::providers
