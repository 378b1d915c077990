#include "bench_run_command.hpp"

#include "bench_output.hpp"
#include "bench_plan.hpp"
#include "bench_progress.hpp"
#include "effective_config.hpp"
#include "fatal.hpp"
#include "interrupt.hpp"
#include "run_overrides.hpp"

#include "rlm/bench/results_file.hpp"
#include "rlm/bench/runner.hpp"
#include "rlm/bench/summary.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/factory.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>

#include <memory>
#include <set>

namespace rlm::cli {

namespace {

constexpr const char* k_default_out = "rlm-bench.jsonl";

struct BenchOptions {
  PlanOptions plan;
  std::string out = k_default_out;
  std::string chart;
  bool dry_run = false;
  RunOverrides run;
};

// The records of `plan`'s tasks among `records`.
std::vector<bench::TaskRecord> of_plan(const bench::Plan& plan,
                                       const std::vector<bench::TaskRecord>& records) {
  std::set<std::string> keys;
  for (const auto& t : bench::expand(plan)) keys.insert(t.key);
  std::vector<bench::TaskRecord> mine;
  for (const auto& r : records)
    if (keys.contains(r.key)) mine.push_back(r);
  return mine;
}

BenchProgress::Style progress_style(bool quiet) {
  if (quiet) return BenchProgress::Style::quiet;
  return stderr_is_terminal() ? BenchProgress::Style::live : BenchProgress::Style::lines;
}

bench::Setup make_setup(providers::Pool& pool, const loop::Prompts& prompts,
                        const config::Config& cfg) {
  bench::Setup setup{pool, prompts, run_settings(cfg), {}};
  for (const auto& p : cfg.providers) setup.providers.emplace(p.name, p);
  return setup;
}

// Runs the plan's unfinished tasks into `results`, with live progress.
bench::BenchOutcome run_plan(const bench::Plan& plan, bench::Setup& setup,
                             bench::ResultsFile& results, bool quiet) {
  report_bad_lines(results.path(), results.bad_lines());
  if (!quiet) write_stderr_line("info", fmt::format("results: {}", printable(results.path(), 200)));
  BenchProgress progress(progress_style(quiet));
  const auto& cancel = interrupt_on_signals();
  auto outcome = bench::run_bench(plan, setup, results, progress, &cancel);
  progress.done();
  return or_exit(std::move(outcome));
}

// The summary of this command's tasks, from this run and earlier ones; the chart if asked.
void summarize(const bench::Plan& plan, const BenchOptions& o, bool quiet) {
  const auto all = or_exit(bench::read_results(o.out));
  const auto summary = bench::summarize(of_plan(plan, all.records));
  write_stdout(bench::render_table(summary));
  if (o.chart.empty()) return;
  write_chart(o.chart, summary, chart_title(summary), {o.out});
  if (!quiet) write_stderr_line("info", fmt::format("chart: {}", printable(o.chart, 200)));
}

// The exit code of a run that got this far, with the line that explains it.
int exit_code_of(const bench::BenchOutcome& outcome, const std::string& out) {
  if (outcome.interrupted) {
    write_stderr_line(
        "error", fmt::format("{}: {} task{} finished in this run {} in {}; "
                             "run the same command again to go on",
                             interrupted_by(), outcome.finished, outcome.finished == 1 ? "" : "s",
                             outcome.finished == 1 ? "is" : "are", printable(out, 200)));
    return interrupted_exit_code();
  }
  if (!outcome.halted.empty() || outcome.failed > 0) {
    write_stderr_line(
        "error",
        fmt::format("{}{} task{} not recorded; fix the provider (rlm doctor) and run the same "
                    "command again: finished tasks are kept",
                    outcome.halted.empty() ? "" : printable(outcome.halted, 600) + "; ",
                    outcome.failed, outcome.failed == 1 ? "" : "s"));
    return to_int(ExitCode::provider);
  }
  return to_int(ExitCode::success);
}

int run_bench_command(const BenchOptions& o, const Context& context) {
  auto effective = load_effective_config(context);
  auto& cfg = effective.config;
  apply_run_overrides(cfg, o.run);
  const auto plan = make_plan(o.plan, cfg);
  if (o.dry_run) {
    for (const auto& t : bench::expand(plan)) write_stdout(t.key + "\n");
    return to_int(ExitCode::success);
  }
  const auto prompts = or_exit(loop::load_prompts(cfg.prompts_dir));
  RunTransport transport(o.run);
  auto pool = make_run_pool(cfg, transport.get(), transport.environment(context.env));
  auto setup = make_setup(*pool, prompts, cfg);
  // Open until the summary is read: a file this run created and left empty goes with it.
  const auto results = or_exit(bench::ResultsFile::open(o.out));
  const auto outcome = run_plan(plan, setup, *results, context.options.verbosity.quiet);
  transport.finish();
  summarize(plan, o, context.options.verbosity.quiet);
  return exit_code_of(outcome, o.out);
}

void add_plan_options(CLI::App& cmd, PlanOptions& o) {
  cmd.add_option("--lengths", o.lengths,
                 "Document lengths in tokens (k = 1024): a doubling range 4k..128k or a list "
                 "4k,32k,1m [config: bench.lengths]")
      ->type_name("SPEC");
  cmd.add_option("--positions", o.positions,
                 "Where the facts sit, as fractions of the document: 0.1,0.5,0.9 [bench.positions]")
      ->type_name("LIST");
  cmd.add_option("--trials", o.trials, "Documents per length and position [bench.trials]")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}));
  cmd.add_option("--seed", o.seed, "Seed of the generated documents [bench.seed]")
      ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
  cmd.add_option("--methods", o.methods, "rlm, vanilla, or both: rlm,vanilla [bench.methods]")
      ->type_name("LIST");
}

void add_output_options(CLI::App& cmd, BenchOptions& o) {
  cmd.add_option("--out", o.out,
                 "Results file (JSON lines, appended; a rerun skips finished tasks)")
      ->type_name("FILE")
      ->capture_default_str();
  cmd.add_option("--jobs,-j", o.plan.jobs, "Tasks run at once [bench.jobs]")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}));
  cmd.add_option("--label", o.plan.label,
                 "A note stored with each result and shown with the table and chart (e.g. "
                 "\"scripted model\")")
      ->type_name("TEXT");
  cmd.add_option("--chart", o.chart, "Also write the chart (HTML) to FILE")->type_name("FILE");
  cmd.add_flag("--dry-run", o.dry_run, "List the tasks (their keys) and run nothing");
}

std::string run_footer(const std::string& suite) {
  return fmt::format(R"(
Examples:
  rlm bench {0} --lengths 4k..128k                     # rlm and vanilla, 6 lengths
  rlm bench {0} --lengths 8k,64k --trials 3 --jobs 2 --out runs/m.jsonl
  rlm bench {0} --methods rlm --root-model qwen2.5:14b --sub-model qwen2.5:3b
Results are appended to --out as each task finishes; the same command run again skips
finished tasks. Exit codes: 0 done, 2 usage or config, 3 unreadable results file, 4 provider
failed (finished tasks kept), 7 cannot write, 130 interrupted (143 on SIGTERM, 129 on SIGHUP). Details: docs/bench.md)",
                     suite);
}

} // namespace

void setup_bench_run(CLI::App& bench, const std::string& suite, const std::string& description,
                     Context& context, CommandTable& commands) {
  auto o = std::make_shared<BenchOptions>();
  o->plan.suite = suite;
  auto* cmd = bench.add_subcommand(suite, description);
  add_plan_options(*cmd, o->plan);
  add_output_options(*cmd, *o);
  add_run_override_options(*cmd, o->run);
  cmd->footer(run_footer(suite));
  commands.push_back({cmd, [o, &context] { return run_bench_command(*o, context); }});
}

} // namespace rlm::cli
