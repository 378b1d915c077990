// The REPL's host during a run: answers llm_query and llm_query_batched through the pool's
// sub role, in parallel, within the run's shared sub-call budget, and, when max_depth allows,
// as nested RLM runs for prompts too large for a plain call.
#pragma once

#include "rlm/loop/run.hpp"
#include "rlm/lua/host.hpp"

#include <atomic>
#include <functional>
#include <mutex>

namespace rlm::loop {

// The sub-call budget, shared by a run and every run nested in it.
struct SubCallBudget {
  std::int64_t limit = 0;
  std::atomic<std::int64_t> used{0};

  // Takes up to `wanted` calls; returns how many were granted.
  std::int64_t take(std::int64_t wanted);
  std::int64_t left() const { return std::max<std::int64_t>(0, limit - used.load()); }
};

// Runs a nested RLM over `prompt`; set by run() when max_depth allows.
using NestedRun = std::function<std::expected<std::string, std::string>(const std::string& prompt)>;

class SubCallHost final : public lua::Host {
public:
  SubCallHost(providers::Pool& pool, SubCallBudget& budget, const RunSettings& settings,
              Observer& observer, const std::atomic<bool>* cancel, NestedRun nested);

  std::vector<lua::QueryResult> query(const std::vector<std::string>& prompts) override;

  // The sub-calls made since the last call, for the iteration's record.
  std::vector<SubCallRecord> take_records();

private:
  lua::QueryResult answer(const std::string& prompt, SubCallRecord& record);

  providers::Pool& m_pool;
  SubCallBudget& m_budget;
  const RunSettings& m_settings;
  Observer& m_observer;
  const std::atomic<bool>* m_cancel;
  NestedRun m_nested;
  std::mutex m_mutex;
  std::vector<SubCallRecord> m_records;
};

} // namespace rlm::loop
