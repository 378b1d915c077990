// The budgets a user sets for a whole run (max_cost, max_seconds, max_tokens): what the run
// and every run nested in it have spent against them, the cancel flag that fires at
// max_seconds, and the texts that tell the model what is left and the user what ended the
// run. docs/loop.md, "Budgets", says how they are enforced.
#pragma once

#include "rlm/loop/run.hpp"
#include "rlm/providers/provider.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rlm::loop {

using BudgetClock = std::chrono::steady_clock;

// Shared by every thread of a run and by its nested runs. Set `limits` and `started` before
// the run starts; everything else is thread-safe.
class Spending {
public:
  BudgetLimits limits;
  BudgetClock::time_point started = BudgetClock::now();

  // Counts an answered call's tokens, and its cost when its provider has prices.
  void charge(const providers::Usage& usage, std::optional<double> cost);
  // The budget that ran out first (max_cost, max_seconds or max_tokens), once one has; it
  // stays the one named even when another runs out later.
  std::optional<StopReason> spent() const;

  std::int64_t tokens() const;
  double cost() const;
  double seconds() const;
  // When max_seconds runs out, if it is set.
  std::optional<BudgetClock::time_point> deadline() const;
  // When the last call for the best answer must end, if max_seconds is set.
  std::optional<BudgetClock::time_point>
  final_call_deadline(std::optional<double> final_call_seconds) const;
  // The budgets that are set, with what was spent on each.
  std::vector<BudgetUse> uses() const;

private:
  mutable std::mutex m_mutex;
  std::int64_t m_tokens = 0;
  double m_cost = 0;
  mutable std::optional<StopReason> m_spent;
};

// A cancel flag that is set once `source` (Ctrl-C) is set or `at` passes; a thread watches
// both every 10 ms. With no `at`, flag() is `source` itself and no thread runs.
class CancelAt {
public:
  CancelAt(const std::atomic<bool>* source, std::optional<BudgetClock::time_point> at);
  const std::atomic<bool>* flag() const { return m_at ? &m_flag : m_source; }

private:
  void watch(const std::stop_token& stop);

  const std::atomic<bool>* m_source;
  std::optional<BudgetClock::time_point> m_at;
  std::atomic<bool> m_flag{false};
  std::jthread m_thread; // last: stopped and joined before the members it reads go
};

// How long the last call may run past max_seconds.
double final_call_grace(double max_seconds, std::optional<double> final_call_seconds);

// What is left of the budgets that are set, for the turn footer ("" when none is set):
// "tokens left: 12,000 of 50,000; cost left: 0.0320 of 0.1000; seconds left: 41 of 60".
std::string budgets_left(const Spending& spending);

// The budgets that are set, for the first turn's Budget line ("" when none is set):
// "50,000 tokens, a cost of 0.1000, 60 seconds".
std::string budgets_briefing(const BudgetLimits& limits);

// Why the run ended, for the warning line: the budget, what was spent, how to raise it;
// `answered`: whether the last call gave the best answer (else it ran out of time).
std::string budget_message(StopReason budget, const Spending& spending, bool answered = true);
// The last call's request for the best answer, when a budget ended the run.
std::string budget_final_prompt(StopReason budget);
// What a sub-call asked for after a budget ran out gets instead of an answer; also what
// stops the running cell.
std::string budget_refusal(StopReason budget);
// The last call's note in the trajectory.
std::string final_call_note(StopReason why, const Spending& spending);

} // namespace rlm::loop
