// Runs a bench: every task of the plan not already in the results file, `jobs` at a time,
// each with its method (the RLM loop, or the whole document in one prompt), scored and
// appended to the file as it finishes.
#pragma once

#include "rlm/bench/record.hpp"
#include "rlm/bench/results_file.hpp"
#include "rlm/bench/suites.hpp"
#include "rlm/loop/prompts.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/pool.hpp"
#include "rlm/util/error.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rlm::bench {

struct Plan {
  std::vector<std::string> suites;
  std::vector<std::int64_t> lengths; // tokens
  std::vector<double> positions;     // for suites that place facts
  std::int64_t trials = 1;
  std::int64_t seed = 42;
  std::vector<Method> methods;
  std::int64_t jobs = 1;
  std::string model; // the root model(s): part of each task's key
  std::string label; // stored in each record (e.g. that the model is scripted)
};

struct PlannedTask {
  TaskSpec spec;
  Method method = Method::rlm;
  std::string key;
};

// Every task of the plan, both methods of one document next to each other.
std::vector<PlannedTask> expand(const Plan& plan);

// What a task needs beyond its document.
struct Setup {
  providers::Pool& pool;
  const loop::Prompts& prompts;
  loop::RunSettings settings; // for the rlm method; vanilla asks the root model directly
  std::map<std::string, config::ProviderConfig> providers; // by name, for prices
};

class BenchObserver {
public:
  virtual ~BenchObserver() = default;
  virtual void on_plan(std::size_t /*to_run*/, std::size_t /*already_done*/) {}
  virtual void on_task_done(const TaskRecord&) {}
  // A task that could not run for a reason outside the method (the provider failed); it is
  // not recorded, so the next run tries it again.
  virtual void on_task_failed(const PlannedTask&, const std::string& /*message*/) {}
  // About once a second while tasks run, so a live display can show time passing.
  virtual void on_tick(std::size_t /*running*/) {}
};

struct BenchOutcome {
  std::size_t finished = 0; // recorded in this run
  std::size_t skipped = 0;  // already in the file
  std::size_t failed = 0;   // not recorded (provider failures)
  bool interrupted = false; // Ctrl-C
  std::string halted;       // set when the runner stopped itself: why
};

// Runs the plan's unfinished tasks. `cancel` (Ctrl-C) stops the tasks running; they are not
// recorded. The runner stops itself after k_failures_in_a_row provider failures. An Error
// when the results file cannot be written (output) or the workers cannot start (usage).
Result<BenchOutcome> run_bench(const Plan& plan, Setup& setup, ResultsFile& results,
                               BenchObserver& observer, const std::atomic<bool>* cancel);

inline constexpr int k_failures_in_a_row = 3;

} // namespace rlm::bench
