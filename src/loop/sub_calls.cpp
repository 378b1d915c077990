#include "sub_calls.hpp"

#include <fmt/format.h>

#include <chrono>
#include <thread>
#include <utility>

namespace rlm::loop {

std::int64_t SubCallBudget::take(std::int64_t wanted) {
  auto now = used.load();
  for (;;) {
    const auto granted = std::clamp<std::int64_t>(limit - now, 0, wanted);
    if (granted == 0) return 0;
    if (used.compare_exchange_weak(now, now + granted)) return granted;
  }
}

SubCallHost::SubCallHost(providers::Pool& pool, SubCallBudget& budget, const RunSettings& settings,
                         Observer& observer, const std::atomic<bool>* cancel, NestedRun nested)
    : m_pool(pool), m_budget(budget), m_settings(settings), m_observer(observer), m_cancel(cancel),
      m_nested(std::move(nested)) {}

lua::QueryResult SubCallHost::answer(const std::string& prompt, SubCallRecord& record) {
  const auto started = std::chrono::steady_clock::now();
  record.prompt_chars = prompt.size();
  lua::QueryResult result;
  if (m_nested && static_cast<std::int64_t>(prompt.size()) > m_settings.bypass_threshold) {
    record.nested = true;
    record.provider = "nested rlm";
    result = m_nested(prompt);
  } else {
    providers::ChatRequest request;
    request.messages = {{"user", prompt}};
    request.cancel = m_cancel;
    auto reply = m_pool.chat(config::Role::sub, request);
    if (reply) {
      record.provider = reply->provider;
      record.usage = reply->response.usage;
      result = std::move(reply->response.text);
    } else {
      record.error_kind = reply.error().kind;
      result = std::unexpected(reply.error().message);
    }
  }
  record.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result) {
    record.answer_chars = result->size();
  } else {
    record.error = result.error();
  }
  m_observer.on_sub_call(record);
  return result;
}

std::vector<lua::QueryResult> SubCallHost::query(const std::vector<std::string>& prompts) {
  const auto n = static_cast<std::int64_t>(prompts.size());
  const auto granted = m_budget.take(n);
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
        m_budget.limit));
  }
  const std::lock_guard lock(m_mutex);
  m_records.insert(m_records.end(), records.begin(), records.end());
  return results;
}

std::vector<SubCallRecord> SubCallHost::take_records() {
  const std::lock_guard lock(m_mutex);
  return std::exchange(m_records, {});
}

} // namespace rlm::loop
