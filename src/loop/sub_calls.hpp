// The REPL's host during a run: answers llm_query and llm_query_batched through the pool's
// sub role, in parallel, within the run's shared sub-call budget, and, when max_depth allows,
// as nested RLM runs for prompts too large for a plain call.
//
// A sub-call that fails in a way that will repeat for every call (a missing model, a key,
// the balance, a refused request) stops the run: the running cell is aborted, later calls
// fail at once without reaching the server, and the loop ends with a provider error. Other
// failures (after the pool's retries) go back to the model as the call's error.
#pragma once

#include "budgets.hpp"

#include "rlm/loop/run.hpp"
#include "rlm/lua/host.hpp"

#include <atomic>
#include <functional>
#include <mutex>

namespace rlm::loop {

// The sub-calls of a run and of every run nested in it: the budget, how they ended, and the
// failure that stops them all; and what all their model calls spent against the budgets the
// user set.
struct SubCallState {
  Spending spending;
  std::int64_t limit = 0;
  std::atomic<std::int64_t> used{0};     // granted from the budget
  std::atomic<std::int64_t> answered{0}; // answered by a model (or a nested run)
  std::atomic<std::int64_t> failed{0};   // failed after retries (not counting cancelled ones)
  std::atomic<std::int64_t> last_sub_call_id{0}; // SubCallRecord::id
  std::atomic<int> last_run{0};                  // runs nested in sub-calls, numbered from 1

  // Takes up to `wanted` calls; returns how many were granted.
  std::int64_t take(std::int64_t wanted);
  // Returns calls that were granted and will not be made.
  void give_back(std::int64_t n);
  std::int64_t left() const { return std::max<std::int64_t>(0, limit - used.load()); }

  // The failure that ends the run, once one happened.
  std::optional<providers::ProviderError> stopping() const;
  // Records `error` as the one that ends the run, unless one already does.
  void stop(const providers::ProviderError& error);

  // Counts a failed sub-call and keeps its message if it is new (up to a few).
  void failed_with(const std::string& message);
  std::vector<std::string> error_messages() const;

private:
  mutable std::mutex m_mutex;
  std::optional<providers::ProviderError> m_stopping;
  std::vector<std::string> m_messages;
};

// Runs a nested RLM over `prompt`, for the sub-call `origin` names; set by run() when
// max_depth allows.
using NestedRun = std::function<std::expected<std::string, std::string>(const std::string& prompt,
                                                                        const RunOrigin& origin)>;

class SubCallHost final : public lua::Host {
public:
  SubCallHost(providers::Pool& pool, SubCallState& state, const RunSettings& settings,
              Observer& observer, const std::atomic<bool>* cancel, NestedRun nested, int run = 0);

  std::vector<lua::QueryResult> query(const std::vector<std::string>& prompts) override;
  std::optional<std::string> stop_reason() const override;

  // The sub-calls made since the last call, for the iteration's record.
  std::vector<SubCallRecord> take_records();
  // The turn whose cells make the sub-calls from now on (a nested run's RunOrigin).
  void begin_turn(int iteration) { m_turn = iteration; }

private:
  // A model call's failure: what the model reads, and for a prompt over the sub model's
  // window, how many characters would fit.
  struct CallFailure {
    std::string message;
    std::optional<std::int64_t> fits_chars;
  };
  using CallResult = std::expected<std::string, CallFailure>;

  lua::QueryResult answer(const std::string& prompt, SubCallRecord& record);
  // One call through the pool's sub role; `record` adds up what it spent.
  CallResult call_model(const std::string& prompt, SubCallRecord& record);
  CallResult answer_in_parts(const std::string& prompt, std::int64_t fits_chars,
                             SubCallRecord& record);

  providers::Pool& m_pool;
  SubCallState& m_state;
  const RunSettings& m_settings;
  Observer& m_observer;
  const std::atomic<bool>* m_cancel;
  NestedRun m_nested;
  int m_run = 0;
  std::atomic<int> m_turn{0};
  std::mutex m_mutex;
  std::vector<SubCallRecord> m_records;
};

// What the model reads when a sub-call fails: the error, and for a prompt too large for the
// sub model's window, how large a piece may be.
std::string failure_for_model(const providers::ProviderError& error, std::size_t prompt_chars);

} // namespace rlm::loop
