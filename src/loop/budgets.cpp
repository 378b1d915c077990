#include "budgets.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/saturating.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rlm::loop {

namespace {

double seconds_between(BudgetClock::time_point from, BudgetClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

BudgetClock::time_point after(BudgetClock::time_point start, double seconds) {
  return start + std::chrono::duration_cast<BudgetClock::duration>(
                     std::chrono::duration<double>(std::min(seconds, 1e9)));
}

// "the run's token budget (max_tokens)"
std::string budget_name(StopReason budget) {
  const char* what = budget == StopReason::max_cost      ? "cost"
                     : budget == StopReason::max_seconds ? "time"
                                                         : "token";
  return fmt::format("the run's {} budget ({})", what, to_string(budget));
}

const char* flag_of(StopReason budget) {
  if (budget == StopReason::max_cost) return "--max-cost";
  if (budget == StopReason::max_seconds) return "--max-seconds";
  return "--max-tokens";
}

// An amount of one budget as people read it: 50,000 (tokens), 0.1000 (cost), 61.2 s.
std::string amount(StopReason budget, double value) {
  if (budget == StopReason::max_tokens) return with_commas(static_cast<std::int64_t>(value));
  if (budget == StopReason::max_cost) return fmt::format("{:.4f}", value);
  return fmt::format("{:.1f} s", value);
}

std::string limit_text(const BudgetUse& use) {
  if (use.budget == StopReason::max_seconds) return fmt::format("{:g} s", use.limit);
  return amount(use.budget, use.limit);
}

std::optional<BudgetUse> use_of(const std::vector<BudgetUse>& uses, StopReason budget) {
  for (const auto& use : uses) {
    if (use.budget == budget) return use;
  }
  return std::nullopt;
}

} // namespace

void Spending::charge(const providers::Usage& usage, std::optional<double> cost) {
  const auto tokens = saturating_add(std::max<std::int64_t>(0, usage.prompt_tokens),
                                     std::max<std::int64_t>(0, usage.completion_tokens));
  const std::lock_guard lock(m_mutex);
  m_tokens = saturating_add(m_tokens, tokens);
  if (cost && std::isfinite(*cost) && *cost > 0) m_cost += *cost;
}

std::optional<StopReason> Spending::spent() const {
  const auto elapsed = seconds();
  const std::lock_guard lock(m_mutex);
  if (m_spent) return m_spent;
  if (limits.max_tokens && m_tokens >= *limits.max_tokens) {
    m_spent = StopReason::max_tokens;
  } else if (limits.max_cost && m_cost >= *limits.max_cost) {
    m_spent = StopReason::max_cost;
  } else if (limits.max_seconds && elapsed >= *limits.max_seconds) {
    m_spent = StopReason::max_seconds;
  }
  return m_spent;
}

std::int64_t Spending::tokens() const {
  const std::lock_guard lock(m_mutex);
  return m_tokens;
}

double Spending::cost() const {
  const std::lock_guard lock(m_mutex);
  return m_cost;
}

double Spending::seconds() const { return seconds_between(started, BudgetClock::now()); }

std::optional<BudgetClock::time_point> Spending::deadline() const {
  if (!limits.max_seconds) return std::nullopt;
  return after(started, *limits.max_seconds);
}

std::optional<BudgetClock::time_point>
Spending::final_call_deadline(std::optional<double> final_call_seconds) const {
  if (!limits.max_seconds) return std::nullopt;
  return after(started,
               *limits.max_seconds + final_call_grace(*limits.max_seconds, final_call_seconds));
}

std::vector<BudgetUse> Spending::uses() const {
  std::vector<BudgetUse> out;
  if (limits.max_cost) out.push_back({StopReason::max_cost, *limits.max_cost, cost()});
  if (limits.max_seconds) out.push_back({StopReason::max_seconds, *limits.max_seconds, seconds()});
  if (limits.max_tokens) {
    out.push_back({StopReason::max_tokens, static_cast<double>(*limits.max_tokens),
                   static_cast<double>(tokens())});
  }
  return out;
}

CancelAt::CancelAt(const std::atomic<bool>* source, std::optional<BudgetClock::time_point> at)
    : m_source(source), m_at(at) {
  if (m_at) m_thread = std::jthread([this](const std::stop_token& stop) { watch(stop); });
}

void CancelAt::watch(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    if ((m_source != nullptr && m_source->load()) || BudgetClock::now() >= *m_at) {
      m_flag = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

double final_call_grace(double max_seconds, std::optional<double> final_call_seconds) {
  if (final_call_seconds) return *final_call_seconds;
  return std::clamp(max_seconds / 10, 5.0, 60.0);
}

std::string budgets_left(const Spending& spending) {
  std::vector<std::string> parts;
  for (const auto& use : spending.uses()) {
    const auto left = std::max(0.0, use.limit - use.used);
    if (use.budget == StopReason::max_tokens) {
      parts.push_back(fmt::format("tokens left: {} of {}", amount(use.budget, left),
                                  amount(use.budget, use.limit)));
    } else if (use.budget == StopReason::max_cost) {
      parts.push_back(fmt::format("cost left: {} of {}", amount(use.budget, left),
                                  amount(use.budget, use.limit)));
    } else {
      parts.push_back(fmt::format("seconds left: {:.0f} of {:g}", std::floor(left), use.limit));
    }
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string budgets_briefing(const BudgetLimits& limits) {
  std::vector<std::string> parts;
  if (limits.max_tokens) parts.push_back(fmt::format("{} tokens", with_commas(*limits.max_tokens)));
  if (limits.max_cost) parts.push_back(fmt::format("a cost of {:.4f}", *limits.max_cost));
  if (limits.max_seconds) parts.push_back(fmt::format("{:g} seconds", *limits.max_seconds));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string budget_message(StopReason budget, const Spending& spending, bool answered) {
  const auto use = use_of(spending.uses(), budget).value_or(BudgetUse{budget, 0, 0});
  return fmt::format("{} ({}) ran out: {} used; {} (raise it with {}, or {} in the config)",
                     to_string(budget), limit_text(use), amount(budget, use.used),
                     answered ? "the answer is the model's best effort from what it found"
                              : "the model gave no answer in time",
                     flag_of(budget), to_string(budget));
}

std::string budget_final_prompt(StopReason budget) {
  return fmt::format("{} is spent: there are no more turns. From what you have found so far, "
                     "give your best answer to the question now, as plain text with no code: the "
                     "answer alone, in the form the question asks for. If you found nothing "
                     "certain, give your best guess and say it is uncertain.",
                     budget_name(budget).replace(0, 1, "T"));
}

std::string budget_refusal(StopReason budget) {
  return fmt::format("{} is spent: no more model calls are made, and the run ends with a last "
                     "call for your answer",
                     budget_name(budget));
}

std::string final_call_note(StopReason why, const Spending& spending) {
  if (!is_budget(why)) return "final answer requested: max_iterations reached";
  const auto use = use_of(spending.uses(), why).value_or(BudgetUse{why, 0, 0});
  return fmt::format("final answer requested: {} ({}) spent", to_string(why), limit_text(use));
}

} // namespace rlm::loop
