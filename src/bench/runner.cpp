#include "rlm/bench/runner.hpp"

#include "rlm/document/document_set.hpp"
#include "rlm/providers/ledger.hpp"
#include "rlm/util/fatal.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <exception>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

namespace rlm::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::string position_text(const std::optional<double>& position) {
  return position ? fmt::format("{}", *position) : "-"; // shortest exact form: 0.1, 0.123456789
}

std::string utc_now() {
  const auto now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Tokens and cost of one task, from what the loop reports. Sub-calls may report from
// several threads at once.
class TaskTally final : public loop::Observer {
public:
  explicit TaskTally(const std::map<std::string, config::ProviderConfig>& providers)
      : m_providers(providers) {}

  void on_sub_call(const loop::SubCallRecord& r) override {
    if (r.nested) return; // its turns arrive as iterations at depth > 0
    add(m_sub, r.provider, r.usage, r.error.empty());
    // A sub-call the host failed (down, rate-limited, a bad key) says nothing about the
    // method; one the model made too large is the method's own doing.
    using Kind = providers::ProviderError::Kind;
    if (r.error_kind && *r.error_kind != Kind::context_overflow &&
        *r.error_kind != Kind::cancelled) {
      const std::lock_guard lock(m_mutex);
      if (m_provider_failure.empty()) m_provider_failure = r.error;
    }
  }
  void on_iteration(const loop::IterationRecord& r) override {
    add(r.depth == 0 ? m_root : m_sub, r.provider, r.usage, true);
    const std::lock_guard lock(m_mutex);
    m_truncated = m_truncated || r.prompt_truncated;
  }

  void fill(TaskRecord& record) const {
    const std::lock_guard lock(m_mutex);
    record.root = m_root;
    record.sub = m_sub;
    if (m_priced) record.cost = m_cost;
  }
  bool truncated() const {
    const std::lock_guard lock(m_mutex);
    return m_truncated;
  }
  std::string provider_failure() const {
    const std::lock_guard lock(m_mutex);
    return m_provider_failure;
  }

private:
  void add(TokenCount& count, const std::string& provider, const providers::Usage& usage,
           bool answered) {
    const std::lock_guard lock(m_mutex);
    if (!answered) return;
    ++count.calls;
    count.prompt += usage.prompt_tokens;
    count.cached += usage.cached_tokens;
    count.completion += usage.completion_tokens;
    if (const auto it = m_providers.find(provider); it != m_providers.end()) {
      if (const auto cost = providers::cost_of(usage, it->second)) {
        m_cost += *cost;
        m_priced = true;
      }
    }
  }

  const std::map<std::string, config::ProviderConfig>& m_providers;
  mutable std::mutex m_mutex;
  TokenCount m_root;
  TokenCount m_sub;
  double m_cost = 0;
  bool m_priced = false;
  bool m_truncated = false;
  std::string m_provider_failure; // the first sub-call the provider failed
};

struct TaskOutcome {
  std::optional<TaskRecord> record;
  std::string failure; // not recorded: the provider failed
};

TaskOutcome run_task(const Plan& plan, const PlannedTask& planned, Setup& setup,
                     const std::atomic<bool>* cancel) {
  const auto started = Clock::now();
  const auto task = generate(planned.spec);
  document::DocumentSet documents;
  const auto added = documents.add_text(
      fmt::format("{}-{}.txt", planned.spec.suite, planned.spec.length_tokens / 1024),
      task.document);
  if (!added) // a generated document: only the memory file can fail
    throw Fatal(ExitCode::failure, added.error().message, added.error().hint);

  auto settings = setup.settings;
  if (planned.method == "vanilla") {
    // The whole document in one prompt to the same root model: the bypass path, always.
    settings.bypass_enabled = true;
    settings.bypass_threshold = std::numeric_limits<std::int64_t>::max();
  } else {
    settings.bypass_enabled = false; // the method under test is the loop, at every length
  }
  TaskTally tally(setup.providers);
  const auto result =
      loop::run(documents, task.query, setup.pool, setup.prompts, settings, tally, cancel);

  TaskOutcome outcome;
  if (result.stop == loop::StopReason::cancelled) return outcome;
  const bool overflow = result.provider_error == providers::ProviderError::Kind::context_overflow;
  if (result.stop == loop::StopReason::provider && !overflow) {
    outcome.failure = result.message;
    return outcome;
  }
  if (const auto failure = tally.provider_failure(); !failure.empty()) {
    outcome.failure = "a sub-call failed at the provider: " + failure;
    return outcome;
  }

  TaskRecord r;
  r.key = planned.key;
  r.suite = planned.spec.suite;
  r.method = planned.method;
  r.length_tokens = planned.spec.length_tokens;
  r.position = planned.spec.position;
  r.trial = planned.spec.trial;
  r.seed = planned.spec.seed;
  r.model = plan.model;
  r.label = plan.label;
  r.document_chars = static_cast<std::int64_t>(documents.documents().front().characters);
  r.query = task.query;
  r.expected = task.expected;
  r.answer = result.answer.value_or("");
  r.scorer = to_string(task.scorer);
  r.score = result.answer ? score(task.scorer, *result.answer, task.expected, task.wrong) : 0.0;
  r.stop = loop::to_string(result.stop);
  r.iterations = result.iterations;
  r.sub_calls = result.sub_calls;
  tally.fill(r);
  if (overflow && planned.method == "vanilla") {
    r.status = "truncated"; // the document does not fit: the plain model cannot be asked
    r.error = result.message;
  } else if (tally.truncated()) {
    r.status = "truncated"; // the server cut the prompt: the score is not the model's
    r.score = 0;
    r.error = "the server read far fewer prompt tokens than were sent (silent truncation)";
  } else if (result.stop != loop::StopReason::final_answer &&
             result.stop != loop::StopReason::max_iterations) {
    r.status = "error";
    r.error = result.message;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  r.finished_at = utc_now();
  outcome.record = std::move(r);
  return outcome;
}

} // namespace

std::vector<PlannedTask> expand(const Plan& plan) {
  std::vector<PlannedTask> tasks;
  for (const auto& suite : plan.suites) {
    const auto* info = find_suite(suite);
    std::vector<std::optional<double>> positions;
    if (info != nullptr && info->uses_positions) {
      for (const auto p : plan.positions) positions.emplace_back(p);
    }
    if (positions.empty()) positions.emplace_back(std::nullopt);
    for (const auto length : plan.lengths) {
      for (const auto& position : positions) {
        for (std::int64_t trial = 0; trial < plan.trials; ++trial) {
          for (const auto& method : plan.methods) {
            PlannedTask t;
            t.spec = {suite, length, position, trial, plan.seed};
            t.method = method;
            t.key = fmt::format("{}|{}|{}|{}|trial {}|seed {}|{}", suite, method, length,
                                position_text(position), trial, plan.seed, plan.model);
            tasks.push_back(std::move(t));
          }
        }
      }
    }
  }
  return tasks;
}

BenchOutcome run_bench(const Plan& plan, Setup& setup, ResultsFile& results,
                       BenchObserver& observer, const std::atomic<bool>* cancel) {
  BenchOutcome outcome;
  std::vector<PlannedTask> todo;
  for (auto& t : expand(plan)) {
    if (results.done(t.key)) {
      ++outcome.skipped;
    } else {
      todo.push_back(std::move(t));
    }
  }
  observer.on_plan(todo.size(), outcome.skipped);

  // One flag the tasks watch: Ctrl-C, copied in by the watcher, or the runner halting.
  std::atomic<bool> halt{false};
  std::atomic<std::size_t> next{0};
  std::mutex mutex; // guards outcome, the failure count, the first exception, the observer
  int failures_in_a_row = 0;
  std::exception_ptr thrown;
  std::atomic<int> workers_left{0};
  std::atomic<std::size_t> running{0};

  const auto work = [&] {
    while (!halt.load()) {
      const auto index = next.fetch_add(1);
      if (index >= todo.size()) break;
      const auto& planned = todo[index];
      ++running;
      try {
        auto ran = run_task(plan, planned, setup, &halt);
        const std::lock_guard lock(mutex);
        if (ran.record) {
          results.append(*ran.record);
          ++outcome.finished;
          failures_in_a_row = 0;
          observer.on_task_done(*ran.record);
        } else if (!ran.failure.empty()) {
          ++outcome.failed;
          observer.on_task_failed(planned, ran.failure);
          if (++failures_in_a_row >= k_failures_in_a_row && outcome.halted.empty()) {
            outcome.halted = fmt::format("{} tasks in a row failed at the provider (last: {})",
                                         failures_in_a_row, ran.failure);
            halt = true;
          }
        }
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!thrown) thrown = std::current_exception();
        halt = true;
      }
      --running;
    }
    workers_left.fetch_sub(1);
  };

  const auto jobs = static_cast<std::size_t>(std::max<std::int64_t>(1, plan.jobs));
  std::vector<std::thread> threads;
  const auto workers = std::min(jobs, std::max<std::size_t>(todo.size(), 1));
  workers_left = static_cast<int>(workers);
  try {
    for (std::size_t i = 0; i < workers; ++i) threads.emplace_back(work);
  } catch (const std::system_error& error) {
    // No more threads: stop the ones started, then report (a joinable thread must never be
    // destroyed, which would end the process).
    halt = true;
    for (auto& t : threads) t.join();
    throw Fatal(ExitCode::usage,
                fmt::format("cannot start {} tasks at once: {}", workers, error.what()),
                "use fewer --jobs");
  }
  auto next_tick = Clock::now();
  while (workers_left.load() > 0) {
    if (cancel != nullptr && cancel->load() && !outcome.interrupted) {
      outcome.interrupted = true; // even after a halt: the user asked to stop (exit 130)
      halt = true;
    }
    if (Clock::now() >= next_tick) {
      next_tick += std::chrono::seconds(1);
      const std::lock_guard lock(mutex);
      observer.on_tick(running.load());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
  if (thrown) std::rethrow_exception(thrown);
  return outcome;
}

} // namespace rlm::bench
