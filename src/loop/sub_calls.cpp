#include "sub_calls.hpp"

#include "reasoning.hpp"

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
                         Observer& observer, const std::atomic<bool>* cancel, NestedRun nested)
    : m_pool(pool), m_state(state), m_settings(settings), m_observer(observer), m_cancel(cancel),
      m_nested(std::move(nested)) {}

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
  if (m_nested && static_cast<std::int64_t>(prompt.size()) > m_settings.bypass_threshold) {
    record.nested = true;
    record.provider = "nested rlm";
    result = m_nested(prompt);
    if (const auto stopping = m_state.stopping(); stopping && !result)
      record.error_kind = stopping->kind;
  } else {
    providers::ChatRequest request;
    request.messages = {{"user", prompt}};
    request.cancel = m_cancel;
    auto reply = m_pool.chat(config::Role::sub, request);
    if (reply) {
      m_state.spending.charge(reply->response.usage, reply->cost);
      record.provider = reply->provider;
      record.usage = reply->response.usage;
      record.prompt_truncated = reply->response.prompt_truncated;
      record.cut_short = reply->response.cut_short();
      record.reasoning_chars = reply->response.thinking.size();
      // The answer alone goes back to Lua (the pool took any reasoning out of it).
      if (providers::reasoning_only(reply->response)) {
        result = std::unexpected(no_answer_after_reasoning(reply->response, "sub"));
      } else {
        result = std::move(reply->response.text);
      }
    } else {
      record.error_kind = reply.error().kind;
      if (providers::repeats_every_call(reply.error().kind)) m_state.stop(reply.error());
      result = std::unexpected(failure_for_model(reply.error(), prompt.size()));
    }
  }
  record.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result) {
    record.answer_chars = result->size();
    ++m_state.answered;
  } else {
    record.error = result.error();
    if (record.error_kind != Kind::cancelled) m_state.failed_with(record.error);
  }
  m_observer.on_sub_call(record);
  return result;
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
  const auto threads =
      std::min<std::size_t>(static_cast<std::size_t>(granted), m_settings.max_parallel_sub_calls);
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  }
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
