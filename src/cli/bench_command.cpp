#include "bench_command.hpp"

#include "bench_progress.hpp"
#include "effective_config.hpp"
#include "fatal.hpp"
#include "interrupt.hpp"
#include "run_overrides.hpp"

#include "rlm/bench/chart.hpp"
#include "rlm/bench/results_file.hpp"
#include "rlm/bench/runner.hpp"
#include "rlm/bench/summary.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/providers/factory.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/util/fatal.hpp"
#include "rlm/util/length_spec.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <unistd.h>

namespace rlm::cli {

namespace {

constexpr const char* k_default_out = "rlm-bench.jsonl";

struct BenchOptions {
  std::string suite;
  std::string lengths;
  std::string positions;
  std::optional<std::int64_t> trials;
  std::optional<std::int64_t> seed;
  std::string methods;
  std::string out = k_default_out;
  std::optional<std::int64_t> jobs;
  std::string label;
  std::string chart;
  bool dry_run = false;
  RunOverrides run;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    auto item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

std::vector<double> parse_positions(const std::string& text) {
  std::vector<double> positions;
  for (const auto& item : split_list(text)) {
    double value = -1;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (error != std::errc() || end != item.data() + item.size() || !std::isfinite(value) ||
        value < 0 || value > 1) {
      throw Fatal(
          ExitCode::usage,
          fmt::format("--positions: '{}' is not a position between 0 and 1", printable(item, 40)),
          "give fractions of the document, e.g. --positions 0.1,0.5,0.9");
    }
    positions.push_back(value);
  }
  if (positions.empty()) {
    throw Fatal(ExitCode::usage, "--positions is empty", "e.g. --positions 0.1,0.5,0.9");
  }
  return positions;
}

std::vector<std::string> parse_methods(const std::string& text) {
  std::vector<std::string> methods;
  for (const auto& m : split_list(text)) {
    if (m != "rlm" && m != "vanilla") {
      throw Fatal(ExitCode::usage, fmt::format("--methods: unknown method '{}'", printable(m, 40)),
                  "the methods are rlm and vanilla, e.g. --methods rlm,vanilla");
    }
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  if (methods.empty()) throw Fatal(ExitCode::usage, "--methods is empty", "e.g. --methods rlm");
  return methods;
}

std::vector<std::int64_t> parse_lengths(const std::string& text) {
  const auto lengths = parse_length_spec(text);
  if (!lengths) {
    throw Fatal(ExitCode::usage, fmt::format("--lengths: {}", lengths.error()),
                "e.g. --lengths 4k..128k (doubling) or --lengths 4k,32k,1m (tokens)");
  }
  for (const auto n : *lengths) {
    if (n < 1024) {
      throw Fatal(ExitCode::usage,
                  fmt::format("--lengths: {} tokens is too short for a bench document", n),
                  "use lengths of 1k tokens or more");
    }
    if (n > 64LL * 1024 * 1024) {
      throw Fatal(ExitCode::usage,
                  fmt::format("--lengths: {} is over the limit of 64m tokens", format_length(n)),
                  "use shorter lengths");
    }
  }
  return *lengths;
}

// `items` without repeats, in their first order: "4k,4k" is one length, not two tasks with
// one key.
template <typename T> std::vector<T> unique_in_order(const std::vector<T>& items) {
  std::vector<T> out;
  for (const auto& item : items)
    if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
  return out;
}

bench::Plan make_plan(const BenchOptions& o, const config::Config& cfg) {
  bench::Plan plan;
  if (o.suite == "all") {
    for (const auto& s : bench::suites()) plan.suites.emplace_back(s.name);
  } else {
    plan.suites = {o.suite};
  }
  plan.lengths = parse_lengths(o.lengths.empty() ? cfg.bench.lengths : o.lengths);
  plan.positions = o.positions.empty() ? cfg.bench.positions : parse_positions(o.positions);
  plan.trials = o.trials.value_or(cfg.bench.trials);
  plan.seed = o.seed.value_or(cfg.bench.seed);
  plan.methods = o.methods.empty() ? cfg.bench.methods : parse_methods(o.methods);
  plan.jobs = o.jobs.value_or(cfg.bench.jobs);
  plan.lengths = unique_in_order(plan.lengths);
  plan.positions = unique_in_order(plan.positions);
  plan.methods = unique_in_order(plan.methods);
  plan.model = root_models(cfg);
  plan.label = o.label;
  return plan;
}

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

// The chart draws a panel per suite and a line per method; a crafted results file with
// thousands of each would take minutes. Real runs have a handful.
void check_chartable(const bench::Summary& summary) {
  constexpr std::size_t k_max_suites = 64;
  constexpr std::size_t k_max_methods = 64;
  std::set<std::string> suites;
  std::set<std::string> methods;
  for (const auto& row : summary.rows) {
    suites.insert(row.suite);
    methods.insert(row.method);
  }
  if (suites.size() > k_max_suites || methods.size() > k_max_methods) {
    throw Fatal(ExitCode::input,
                fmt::format("the results hold {} suites and {} methods; a chart draws at most {} "
                            "of each",
                            suites.size(), methods.size(), k_max_suites),
                "report fewer files at once");
  }
}

// Writes the chart to `path` through a temporary file, so a good chart is never
// half-replaced; refuses to write over any of `results`.
void write_chart(const std::string& path, const std::string& text,
                 const std::vector<std::string>& results) {
  for (const auto& r : results) {
    std::error_code ec;
    if (std::filesystem::equivalent(path, r, ec)) {
      throw Fatal(ExitCode::usage,
                  fmt::format("the chart would replace the results file {}", printable(r, 200)),
                  "give --chart a path of its own, such as chart.html");
    }
  }
  const auto temporary = fmt::format("{}.partial-{}", path, ::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  bool ok = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (file != nullptr) ok = std::fclose(file) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(temporary, path, ec);
  if (!ok || ec) {
    std::filesystem::remove(temporary, ec);
    throw Fatal(ExitCode::output, fmt::format("cannot write {}", printable(path, 200)),
                "check that its directory exists and is writable");
  }
}

std::string default_chart_path(const std::string& results) {
  std::filesystem::path path(results);
  path.replace_extension(".html");
  return path.string();
}

void report_bad_lines(const std::string& path, std::size_t bad) {
  if (bad == 0) return;
  write_stderr_line("warning",
                    fmt::format("{}: {} line{} not a task record (a line cut short by a crash?); "
                                "ignored",
                                printable(path, 200), bad, bad == 1 ? " is" : "s are"));
}

std::string chart_title(const bench::Summary& summary) {
  return summary.models.empty() ? std::string("rlm bench")
                                : fmt::format("rlm bench: {}", fmt::join(summary.models, ", "));
}

int run_bench_command(const BenchOptions& o, const Context& context) {
  auto effective = load_effective_config(context);
  auto& cfg = effective.config;
  apply_run_overrides(cfg, o.run);
  const auto plan = make_plan(o, cfg);
  const bool quiet = context.options.verbosity.quiet;

  if (o.dry_run) {
    for (const auto& t : bench::expand(plan)) write_stdout(t.key + "\n");
    return to_int(ExitCode::success);
  }

  const auto prompts = or_exit(loop::load_prompts(cfg.prompts_dir));
  http::CurlTransport transport;
  auto pool = make_run_pool(cfg, transport, context.env);
  bench::Setup setup{*pool, prompts, run_settings(cfg), {}};
  for (const auto& p : cfg.providers) setup.providers.emplace(p.name, p);

  bench::ResultsFile results(o.out);
  report_bad_lines(o.out, results.bad_lines());
  if (!quiet) write_stderr_line("info", fmt::format("results: {}", printable(o.out, 200)));

  const auto style = quiet                  ? BenchProgress::Style::quiet
                     : stderr_is_terminal() ? BenchProgress::Style::live
                                            : BenchProgress::Style::lines;
  BenchProgress progress(style);
  const auto& cancel = interrupt_on_signals();
  const auto outcome = bench::run_bench(plan, setup, results, progress, &cancel);
  progress.done();

  // The summary covers this command's tasks, from this run and earlier ones.
  const auto all = bench::read_results(o.out);
  const auto summary = bench::summarize(of_plan(plan, all.records));
  write_stdout(bench::render_table(summary));
  if (!o.chart.empty()) {
    check_chartable(summary);
    write_chart(o.chart, bench::chart_html(summary, chart_title(summary)), {o.out});
    if (!quiet) write_stderr_line("info", fmt::format("chart: {}", printable(o.chart, 200)));
  }

  if (outcome.interrupted) {
    write_stderr_line(
        "error", fmt::format("{}: {} task{} finished in this run {} in {}; "
                             "run the same command again to go on",
                             interrupted_by(), outcome.finished, outcome.finished == 1 ? "" : "s",
                             outcome.finished == 1 ? "is" : "are", printable(o.out, 200)));
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

struct ReportOptions {
  std::vector<std::string> files;
  std::string chart;
  std::string title;
};

int run_report(const ReportOptions& o, const Context& context) {
  std::vector<bench::TaskRecord> records;
  for (const auto& path : o.files) {
    auto read = bench::read_results(path);
    report_bad_lines(path, read.bad_lines);
    for (auto& r : read.records) records.push_back(std::move(r));
  }
  const auto summary = bench::summarize(records);
  write_stdout(bench::render_table(summary));
  const auto chart = o.chart.empty() ? default_chart_path(o.files.front()) : o.chart;
  check_chartable(summary);
  write_chart(chart, bench::chart_html(summary, o.title.empty() ? chart_title(summary) : o.title),
              o.files);
  if (!context.options.verbosity.quiet)
    write_stderr_line("info", fmt::format("chart: {}", printable(chart, 200)));
  return to_int(ExitCode::success);
}

struct ShowOptions {
  std::string suite;
  std::string length = "4k";
  double position = 0.5;
  std::int64_t trial = 1;
  std::int64_t seed = 42;
};

int run_show(const ShowOptions& o) {
  const auto length = parse_lengths(o.length);
  if (length.size() != 1) {
    throw Fatal(ExitCode::usage, "--length takes one length", "e.g. --length 16k");
  }
  const auto* info = bench::find_suite(o.suite);
  bench::TaskSpec spec{o.suite, length.front(),
                       info != nullptr && info->uses_positions ? std::optional(o.position)
                                                               : std::nullopt,
                       o.trial - 1, o.seed};
  const auto task = bench::generate(spec);
  write_stdout(task.document);
  write_stderr_line("info", fmt::format("query: {}", task.query));
  write_stderr_line("info", fmt::format("expected: {} (scored by {})", task.expected,
                                        bench::to_string(task.scorer)));
  return to_int(ExitCode::success);
}

std::string suite_names() {
  std::vector<std::string> names;
  for (const auto& s : bench::suites()) names.emplace_back(s.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

void add_run_command(CLI::App* bench, const std::string& name, const std::string& description,
                     Context& context, CommandTable& commands) {
  auto o = std::make_shared<BenchOptions>();
  o->suite = name;
  auto* cmd = bench->add_subcommand(name, description);
  cmd->add_option("--lengths", o->lengths,
                  "Document lengths in tokens (k = 1024): a doubling range 4k..128k or a list "
                  "4k,32k,1m [config: bench.lengths]")
      ->type_name("SPEC");
  cmd->add_option(
         "--positions", o->positions,
         "Where the facts sit, as fractions of the document: 0.1,0.5,0.9 [bench.positions]")
      ->type_name("LIST");
  cmd->add_option("--trials", o->trials, "Documents per length and position [bench.trials]")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}));
  cmd->add_option("--seed", o->seed, "Seed of the generated documents [bench.seed]")
      ->check(CLI::Range(std::int64_t{0}, INT64_MAX));
  cmd->add_option("--methods", o->methods, "rlm, vanilla, or both: rlm,vanilla [bench.methods]")
      ->type_name("LIST");
  cmd->add_option("--out", o->out,
                  "Results file (JSON lines, appended; a rerun skips finished tasks)")
      ->type_name("FILE")
      ->capture_default_str();
  cmd->add_option("--jobs,-j", o->jobs, "Tasks run at once [bench.jobs]")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}));
  cmd->add_option("--label", o->label,
                  "A note stored with each result and shown with the table and chart (e.g. "
                  "\"scripted model\")")
      ->type_name("TEXT");
  cmd->add_option("--chart", o->chart, "Also write the chart (HTML) to FILE")->type_name("FILE");
  cmd->add_flag("--dry-run", o->dry_run, "List the tasks (their keys) and run nothing");
  add_run_override_options(*cmd, o->run);
  cmd->footer(fmt::format(R"(
Examples:
  rlm bench {0} --lengths 4k..128k                     # rlm and vanilla, 6 lengths
  rlm bench {0} --lengths 8k,64k --trials 3 --jobs 2 --out runs/m.jsonl
  rlm bench {0} --methods rlm --root-model qwen2.5:14b --sub-model qwen2.5:3b
Results are appended to --out as each task finishes; the same command run again skips
finished tasks. Exit codes: 0 done, 2 usage or config, 3 unreadable results file, 4 provider
failed (finished tasks kept), 7 cannot write, 130 interrupted (143 on SIGTERM, 129 on SIGHUP). Details: docs/bench.md)",
                          name));
  commands.push_back({cmd, [o, &context] { return run_bench_command(*o, context); }});
}

} // namespace

void setup_bench(CLI::App& app, Context& context, CommandTable& commands) {
  auto* bench = app.add_subcommand(
      "bench", "Compare the RLM loop with the plain model on generated long-context tasks");
  bench->require_subcommand(1);
  for (const auto& s : bench::suites()) {
    auto description = std::string(s.summary);
    description[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(description[0])));
    add_run_command(bench, std::string(s.name), description, context, commands);
  }
  add_run_command(bench, "all", "Every suite: " + suite_names(), context, commands);

  auto r = std::make_shared<ReportOptions>();
  auto* report = bench->add_subcommand(
      "report", "Print the summary of result files and write their chart (HTML)");
  report->add_option("FILE", r->files, "Results files written by rlm bench")
      ->required()
      ->type_name("FILE...");
  report->add_option("--chart", r->chart, "Where to write the chart (default: FILE with .html)")
      ->type_name("FILE");
  report->add_option("--title", r->title, "The chart's title")->type_name("TEXT");
  report->footer(R"(
Examples:
  rlm bench report rlm-bench.jsonl                  # the table, and rlm-bench.html
  rlm bench report runs/*.jsonl --chart all.html --title "14B against 7B"
Exit codes: 0 done, 2 usage, 3 a file missing or not a results file, 7 cannot write the chart.)");
  commands.push_back({report, [r, &context] { return run_report(*r, context); }});

  auto s = std::make_shared<ShowOptions>();
  auto* show = bench->add_subcommand(
      "show", "Print one generated document (stdout) with its question and answer (stderr)");
  show->add_option("suite", s->suite, "One of: " + suite_names())
      ->required()
      ->check(CLI::IsMember({"niah", "multifact", "aggregate", "multihop"}));
  show->add_option("--length", s->length, "Length in tokens")->capture_default_str();
  show->add_option("--position", s->position, "Where the fact sits (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  show->add_option("--trial", s->trial, "Which trial (1-based)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}))
      ->capture_default_str();
  show->add_option("--seed", s->seed, "Seed")->capture_default_str();
  show->footer(R"(
Example:
  rlm bench show aggregate --length 16k --trial 2 > tickets.txt)");
  commands.push_back({show, [s] { return run_show(*s); }});

  bench->footer(R"(
Examples:
  rlm bench niah --lengths 4k..128k                 # RLM and the plain model, side by side
  rlm bench all --lengths 8k,64k --trials 3 --jobs 4 --out runs/qwen14b.jsonl
  rlm bench report runs/*.jsonl --chart runs/chart.html
  rlm bench show niah --length 16k --position 0.25 > doc.txt
Results are appended to rlm-bench.jsonl (--out) as each task finishes; the same command run
again skips finished tasks. Exit codes: 0 done, 2 usage or config, 3 unreadable results file,
4 provider failed (finished tasks kept), 7 cannot write, 130 interrupted (143 on SIGTERM, 129 on SIGHUP). Details: docs/bench.md)");
}

} // namespace rlm::cli
