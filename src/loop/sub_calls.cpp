#include "sub_calls.hpp"

#include "prompt_parts.hpp"
#include "reasoning.hpp"
#include "recorded_text.hpp"

#include "rlm/providers/reasoning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

namespace rlm::loop {

using Kind = providers::ProviderError::Kind;

std::int64_t SubCallState::take(std::int64_t wanted) {
  auto now = used.load();
  for (;;) {
    const auto granted = std::clamp<std::int64_t>(limit - now, 0, wanted);
    if (granted == 0) return 0;
    if (used.compare_exchange_weak(now, now + granted)) return granted;
  }
}

std::optional<providers::ProviderError> SubCallState::stopping() const {
  const std::lock_guard lock(m_mutex);
  return m_stopping;
}

void SubCallState::stop(const providers::ProviderError& error) {
  const std::lock_guard lock(m_mutex);
  if (!m_stopping) m_stopping = error;
}

void SubCallState::failed_with(const std::string& message) {
  ++failed;
  const std::lock_guard lock(m_mutex);
  constexpr std::size_t k_kept = 5;
  if (m_messages.size() < k_kept && std::ranges::find(m_messages, message) == m_messages.end())
    m_messages.push_back(message);
}

std::vector<std::string> SubCallState::error_messages() const {
  const std::lock_guard lock(m_mutex);
  return m_messages;
}

void SubCallState::give_back(std::int64_t n) { used -= n; }

namespace {

// Runs `work` on `threads` threads (here, when that is one or none) and waits for them all.
void run_in_parallel(const std::function<void()>& work, std::size_t threads) {
  if (threads <= 1) {
    work();
    return;
  }
  std::vector<std::jthread> pool;
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
}

void add_usage(providers::Usage& into, const providers::Usage& more) {
  into.prompt_tokens += more.prompt_tokens;
  into.cached_tokens += more.cached_tokens;
  into.completion_tokens += more.completion_tokens;
  into.reasoning_tokens += more.reasoning_tokens;
  into.reasoning_estimated = into.reasoning_estimated || more.reasoning_estimated;
}

// What one part's call spent and how it ended, added to the whole call's record.
void add_spent(SubCallRecord& into, const SubCallRecord& part) {
  into.cached = into.provider.empty() ? part.cached : into.cached && part.cached;
  if (into.provider.empty()) into.provider = part.provider;
  add_usage(into.usage, part.usage);
  into.prompt_truncated = into.prompt_truncated || part.prompt_truncated;
  into.cut_short = into.cut_short || part.cut_short;
  into.reasoning_chars += part.reasoning_chars;
  into.attempts += part.attempts;
  if (part.cost) into.cost = into.cost.value_or(0) + *part.cost;
}

void record_text(std::string& into, std::size_t& cut, std::string_view text, std::size_t max) {
  auto recorded = recorded_text(text, max);
  into = std::move(recorded.text);
  cut = recorded.cut;
}

} // namespace

std::string failure_for_model(const providers::ProviderError& error, std::size_t prompt_chars) {
  if (error.kind == Kind::context_overflow && error.fits_chars) {
    return fmt::format("the prompt has {} characters, more than the sub model's window takes "
                       "(about {} characters); split the text into pieces of at most {} "
                       "characters and query each (llm_query_batched runs them in parallel)",
                       prompt_chars, *error.fits_chars, *error.fits_chars);
  }
  return error.message;
}

SubCallHost::SubCallHost(providers::Pool& pool, SubCallState& state, const RunSettings& settings,
                         Observer& observer, const std::atomic<bool>* cancel, NestedRun nested,
                         int run)
    : m_pool(pool), m_state(state), m_settings(settings), m_observer(observer), m_cancel(cancel),
      m_nested(std::move(nested)), m_run(run) {}

std::optional<std::string> SubCallHost::stop_reason() const {
  if (const auto error = m_state.stopping()) return "stopped: " + error->message;
  if (const auto budget = m_state.spending.spent()) return "stopped: " + budget_refusal(*budget);
  return std::nullopt;
}

lua::QueryResult SubCallHost::answer(const std::string& prompt, SubCallRecord& record) {
  const auto started = std::chrono::steady_clock::now();
  record.prompt_chars = prompt.size();
  lua::QueryResult result;
  if (const auto stopping = m_state.stopping()) {
    // The run is ending: no call would succeed, so none is sent, and none is counted.
    record.sent = false;
    return std::unexpected(stopping->message);
  }
  if (const auto budget = m_state.spending.spent()) {
    record.sent = false; // a budget ran out: new calls are refused, calls in flight finish
    return std::unexpected(budget_refusal(*budget));
  }
  record.id = ++m_state.last_sub_call_id;
  m_observer.on_sub_call_start();
  record_text(record.prompt, record.prompt_cut, prompt, m_settings.trajectory_max_text);
  if (m_nested && static_cast<std::int64_t>(prompt.size()) > m_settings.bypass_threshold) {
    record.nested = true;
    record.provider = "nested rlm";
    result = m_nested(prompt, {m_run, m_turn.load(), record.id});
    if (const auto stopping = m_state.stopping(); stopping && !result)
      record.error_kind = stopping->kind;
  } else {
    auto reply = call_model(prompt, record);
    if (!reply && m_settings.split_oversized_prompts && reply.error().fits_chars)
      reply = answer_in_parts(prompt, *reply.error().fits_chars, record);
    if (reply) {
      record.error_kind.reset();
      result = std::move(*reply);
    } else {
      result = std::unexpected(std::move(reply.error().message));
    }
  }
  record.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result) {
    record.answer_chars = result->size();
    record_text(record.answer, record.answer_cut, *result, m_settings.trajectory_max_text);
    ++m_state.answered;
  } else {
    record.error = result.error();
    if (record.error_kind != Kind::cancelled) m_state.failed_with(record.error);
  }
  m_observer.on_sub_call(record);
  return result;
}

SubCallHost::CallResult SubCallHost::call_model(const std::string& prompt, SubCallRecord& record) {
  providers::ChatRequest request;
  request.messages = {{"user", prompt}};
  request.cancel = m_cancel;
  auto reply = m_pool.chat(config::Role::sub, request);
  if (!reply) {
    const auto& error = reply.error();
    record.error_kind = error.kind;
    if (providers::repeats_every_call(error.kind)) m_state.stop(error);
    std::optional<std::int64_t> fits;
    if (error.kind == Kind::context_overflow) fits = error.fits_chars;
    return std::unexpected(CallFailure{failure_for_model(error, prompt.size()), fits});
  }
  auto& response = reply->response;
  m_state.spending.charge(response.usage, reply->cost);
  SubCallRecord spent;
  spent.provider = reply->provider;
  spent.usage = response.usage;
  spent.prompt_truncated = response.prompt_truncated;
  spent.cut_short = response.cut_short();
  spent.reasoning_chars = response.thinking.size();
  spent.attempts = reply->attempts;
  spent.cost = reply->cost;
  spent.cached = response.cached;
  add_spent(record, spent);
  // The answer alone goes back to Lua (the pool took any reasoning out of it).
  if (providers::reasoning_only(response))
    return std::unexpected(CallFailure{no_answer_after_reasoning(response, "sub"), std::nullopt});
  return std::move(response.text);
}

// split_oversized_prompts: the prompt goes as parts that fit, each a sub-call of its own
// from the run's budget, answered in parallel; one part's failure is the call's failure.
SubCallHost::CallResult SubCallHost::answer_in_parts(const std::string& prompt,
                                                     std::int64_t fits_chars,
                                                     SubCallRecord& record) {
  const auto refused = [&](std::string why) {
    return std::unexpected(CallFailure{
        fmt::format("the prompt has {} characters, more than the sub model's window takes "
                    "(about {} characters), and {}",
                    prompt.size(), fits_chars, why),
        std::nullopt});
  };
  const auto parts =
      split_prompt(prompt, static_cast<std::size_t>(std::max<std::int64_t>(0, fits_chars)));
  if (!parts) return refused("the window is too small to split it into parts");
  const auto n = static_cast<std::int64_t>(parts->size());
  // The call that was refused counted one sub-call; each further part counts one more.
  if (const auto granted = m_state.take(n - 1); granted < n - 1) {
    m_state.give_back(granted);
    return refused(fmt::format("splitting it needs {} sub-calls; {} are left", n, granted + 1));
  }
  record.parts = parts->size();
  std::vector<SubCallRecord> records(parts->size());
  std::vector<CallResult> answers(parts->size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (auto i = next++; i < parts->size(); i = next++)
      answers[i] = call_model((*parts)[i], records[i]);
  };
  run_in_parallel(work, std::min(parts->size(), m_settings.max_parallel_sub_calls));
  std::vector<std::string> texts;
  for (const auto& part : records) add_spent(record, part); // every part's, even past a failure
  for (std::size_t i = 0; i < parts->size(); ++i) {
    if (!answers[i]) {
      record.error_kind = records[i].error_kind;
      return std::unexpected(CallFailure{
          fmt::format("part {} of {}: {}", i + 1, parts->size(), answers[i].error().message),
          std::nullopt});
    }
    texts.push_back(std::move(*answers[i]));
  }
  return join_part_answers(texts);
}

std::vector<lua::QueryResult> SubCallHost::query(const std::vector<std::string>& prompts) {
  const auto n = static_cast<std::int64_t>(prompts.size());
  const auto granted = m_state.take(n);
  std::vector<lua::QueryResult> results(prompts.size());
  std::vector<SubCallRecord> records(static_cast<std::size_t>(granted));
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (auto i = next++; i < static_cast<std::size_t>(granted); i = next++)
      results[i] = answer(prompts[i], records[i]);
  };
  run_in_parallel(work, std::min<std::size_t>(static_cast<std::size_t>(granted),
                                              m_settings.max_parallel_sub_calls));
  for (auto i = static_cast<std::size_t>(granted); i < prompts.size(); ++i) {
    results[i] = std::unexpected(fmt::format(
        "sub-call budget exhausted: all {} sub-calls are used; finish with what you have",
        m_state.limit));
  }
  const std::lock_guard lock(m_mutex);
  for (auto& r : records) {
    if (r.sent) m_records.push_back(std::move(r));
  }
  return results;
}

std::vector<SubCallRecord> SubCallHost::take_records() {
  const std::lock_guard lock(m_mutex);
  return std::exchange(m_records, {});
}

} // namespace rlm::loop
