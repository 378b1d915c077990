#include "rlm/bench/runner.hpp"

#include "rlm/document/document_set.hpp"
#include "rlm/providers/ledger.hpp"

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

// The loop settings of `method`: vanilla is the bypass path at every length, rlm never is.
loop::RunSettings settings_for(Method method, loop::RunSettings settings) {
  settings.bypass_enabled = method == Method::vanilla;
  if (method == Method::vanilla)
    settings.bypass_threshold = std::numeric_limits<std::int64_t>::max();
  return settings;
}

// Why a run says nothing about its method (the provider failed), or "" when it does.
std::string provider_failure(const loop::RunResult& result, const TaskTally& tally) {
  const bool overflow = result.provider_error == providers::ProviderError::Kind::context_overflow;
  if (result.stop == loop::StopReason::provider && !overflow) return result.message;
  if (result.stop == loop::StopReason::failure) return result.message; // the REPL is gone
  if (const auto failure = tally.provider_failure(); !failure.empty())
    return "a sub-call failed at the provider: " + failure;
  return "";
}

// The status of a finished run, with its error text; may zero the score.
void set_status(TaskRecord& r, const loop::RunResult& result, const TaskTally& tally) {
  const bool overflow = result.provider_error == providers::ProviderError::Kind::context_overflow;
  if (overflow && r.method == Method::vanilla) {
    r.status = Status::truncated; // the document does not fit: the plain model cannot be asked
    r.error = result.message;
  } else if (tally.truncated()) {
    r.status = Status::truncated; // the server cut the prompt: the score is not the model's
    r.score = 0;
    r.error = "the server read far fewer prompt tokens than were sent (silent truncation)";
  } else if (result.stop != loop::StopReason::final_answer &&
             result.stop != loop::StopReason::max_iterations &&
             !(loop::is_budget(result.stop) && result.answer)) {
    r.status = Status::error;
    r.error = result.message;
  }
}

// What the task is: the plan's and the generator's fields of its record.
TaskRecord describe(const Plan& plan, const PlannedTask& planned, const Task& task,
                    std::int64_t document_chars) {
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
  r.document_chars = document_chars;
  r.query = task.query;
  r.expected = task.expected;
  r.scorer = to_string(task.scorer);
  return r;
}

// How the run went: answer, score, calls, tokens and status.
void record_run(TaskRecord& r, const Task& task, const loop::RunResult& result,
                const TaskTally& tally) {
  r.answer = result.answer.value_or("");
  r.score = result.answer ? score(task.scorer, *result.answer, task.expected, task.wrong) : 0.0;
  r.stop = loop::to_string(result.stop);
  r.iterations = result.iterations;
  r.sub_calls = result.sub_calls;
  tally.fill(r);
  set_status(r, result, tally);
}

TaskOutcome run_task(const Plan& plan, const PlannedTask& planned, Setup& setup,
                     const std::atomic<bool>* cancel) {
  const auto started = Clock::now();
  const auto task = generate(planned.spec);
  TaskOutcome outcome;
  document::DocumentSet documents;
  const auto added = documents.add_text(
      fmt::format("{}-{}.txt", planned.spec.suite, planned.spec.length_tokens / 1024),
      task.document);
  if (!added) { // a generated document: only the memory file can fail
    outcome.failure = added.error().message;
    return outcome;
  }
  TaskTally tally(setup.providers);
  const auto settings = settings_for(planned.method, setup.settings);
  const auto result =
      loop::run(documents, task.query, {setup.pool, setup.prompts, settings, tally, cancel});

  if (result.stop == loop::StopReason::cancelled) return outcome;
  outcome.failure = provider_failure(result, tally);
  if (!outcome.failure.empty()) return outcome;
  const auto chars = static_cast<std::int64_t>(documents.documents().front().characters);
  auto r = describe(plan, planned, task, chars);
  record_run(r, task, result, tally);
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  r.finished_at = utc_now();
  outcome.record = std::move(r);
  return outcome;
}

// The tasks of one run_bench and the workers that take them one at a time. Every field a
// worker writes is guarded by m_mutex (or atomic); so is the observer.
class Workers {
public:
  Workers(const Plan& plan, Setup& setup, ResultsFile& results, BenchObserver& observer,
          std::vector<PlannedTask> todo, BenchOutcome& outcome)
      : m_plan(plan), m_setup(setup), m_results(results), m_observer(observer),
        m_todo(std::move(todo)), m_outcome(outcome) {}

  Result<> run(const std::atomic<bool>* cancel) {
    if (auto started = start(); !started) return started;
    watch(cancel);
    for (auto& t : m_threads) t.join();
    if (m_thrown) std::rethrow_exception(m_thrown);
    if (m_error) return std::unexpected(*m_error);
    return {};
  }

private:
  Result<> start() {
    const auto jobs = static_cast<std::size_t>(std::max<std::int64_t>(1, m_plan.jobs));
    const auto workers = std::min(jobs, std::max<std::size_t>(m_todo.size(), 1));
    m_workers_left = static_cast<int>(workers);
    try {
      for (std::size_t i = 0; i < workers; ++i) m_threads.emplace_back([this] { work(); });
    } catch (const std::system_error& error) {
      // No more threads: stop the ones started, then report (a joinable thread must never
      // be destroyed, which would end the process).
      m_halt = true;
      for (auto& t : m_threads) t.join();
      return fail(ErrorKind::usage,
                  fmt::format("cannot start {} tasks at once: {}", workers, error.what()),
                  "use fewer --jobs");
    }
    return {};
  }

  // Until every worker is done: Ctrl-C stops them; the observer ticks about once a second.
  void watch(const std::atomic<bool>* cancel) {
    auto next_tick = Clock::now();
    while (m_workers_left.load() > 0) {
      if (cancel != nullptr && cancel->load() && !m_outcome.interrupted) {
        m_outcome.interrupted = true; // even after a halt: the user asked to stop (exit 130)
        m_halt = true;
      }
      if (Clock::now() >= next_tick) {
        next_tick += std::chrono::seconds(1);
        const std::lock_guard lock(m_mutex);
        m_observer.on_tick(m_running.load());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void work() {
    while (!m_halt.load()) {
      const auto index = m_next.fetch_add(1);
      if (index >= m_todo.size()) break;
      ++m_running;
      try {
        settle(m_todo[index], run_task(m_plan, m_todo[index], m_setup, &m_halt));
      } catch (...) {
        const std::lock_guard lock(m_mutex);
        if (!m_thrown) m_thrown = std::current_exception();
        m_halt = true;
      }
      --m_running;
    }
    m_workers_left.fetch_sub(1);
  }

  // Records a finished task, or counts a failed one and halts after too many in a row.
  void settle(const PlannedTask& planned, const TaskOutcome& ran) {
    const std::lock_guard lock(m_mutex);
    if (ran.record) {
      if (auto appended = m_results.append(*ran.record); !appended) {
        if (!m_error) m_error = appended.error();
        m_halt = true;
        return;
      }
      ++m_outcome.finished;
      m_failures_in_a_row = 0;
      m_observer.on_task_done(*ran.record);
    } else if (!ran.failure.empty()) {
      ++m_outcome.failed;
      m_observer.on_task_failed(planned, ran.failure);
      if (++m_failures_in_a_row >= k_failures_in_a_row && m_outcome.halted.empty()) {
        m_outcome.halted = fmt::format("{} tasks in a row failed at the provider (last: {})",
                                       m_failures_in_a_row, ran.failure);
        m_halt = true;
      }
    }
  }

  const Plan& m_plan;
  Setup& m_setup;
  ResultsFile& m_results;
  BenchObserver& m_observer;
  const std::vector<PlannedTask> m_todo;
  BenchOutcome& m_outcome;
  // One flag the tasks watch: Ctrl-C, copied in by watch(), or the runner halting.
  std::atomic<bool> m_halt{false};
  std::atomic<std::size_t> m_next{0};
  std::atomic<int> m_workers_left{0};
  std::atomic<std::size_t> m_running{0};
  std::mutex m_mutex; // guards the outcome, the counts, the first failure, the observer
  int m_failures_in_a_row = 0;
  std::exception_ptr m_thrown;  // a bug: rethrown once every worker has stopped
  std::optional<Error> m_error; // the results file could not be written
  std::vector<std::thread> m_threads;
};

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
          for (const auto method : plan.methods) {
            PlannedTask t;
            t.spec = {suite, length, position, trial, plan.seed};
            t.method = method;
            t.key = fmt::format("{}|{}|{}|{}|trial {}|seed {}|{}", suite, config::to_string(method),
                                length, position_text(position), trial, plan.seed, plan.model);
            tasks.push_back(std::move(t));
          }
        }
      }
    }
  }
  return tasks;
}

Result<BenchOutcome> run_bench(const Plan& plan, Setup& setup, ResultsFile& results,
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
  Workers workers(plan, setup, results, observer, std::move(todo), outcome);
  if (auto ran = workers.run(cancel); !ran) return std::unexpected(ran.error());
  return outcome;
}

} // namespace rlm::bench
