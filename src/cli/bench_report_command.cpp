#include "bench_report_command.hpp"

#include "bench_output.hpp"
#include "fatal.hpp"

#include "rlm/bench/results_file.hpp"
#include "rlm/bench/summary.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace rlm::cli {

namespace {

struct ReportOptions {
  std::vector<std::string> files;
  std::string chart;
  std::string title;
};

std::string default_chart_path(const std::string& results) {
  std::filesystem::path path(results);
  path.replace_extension(".html");
  return path.string();
}

// Every record of `files`, in order, each file's bad lines reported.
std::vector<bench::TaskRecord> read_all(const std::vector<std::string>& files) {
  std::vector<bench::TaskRecord> records;
  for (const auto& path : files) {
    auto read = or_exit(bench::read_results(path));
    report_bad_lines(path, read.bad_lines);
    for (auto& r : read.records) records.push_back(std::move(r));
  }
  return records;
}

int run_report(const ReportOptions& o, const Context& context) {
  const auto summary = bench::summarize(read_all(o.files));
  write_stdout(bench::render_table(summary));
  const auto chart = o.chart.empty() ? default_chart_path(o.files.front()) : o.chart;
  write_chart(chart, summary, o.title.empty() ? chart_title(summary) : o.title, o.files);
  if (!context.options.verbosity.quiet)
    write_stderr_line("info", fmt::format("chart: {}", printable(chart, 200)));
  return to_int(ExitCode::success);
}

} // namespace

void setup_bench_report(CLI::App& bench, Context& context, CommandTable& commands) {
  auto o = std::make_shared<ReportOptions>();
  auto* report = bench.add_subcommand(
      "report", "Print the summary of result files and write their chart (HTML)");
  report->add_option("FILE", o->files, "Results files written by rlm bench")
      ->required()
      ->type_name("FILE...");
  report->add_option("--chart", o->chart, "Where to write the chart (default: FILE with .html)")
      ->type_name("FILE");
  report->add_option("--title", o->title, "The chart's title")->type_name("TEXT");
  report->footer(R"(
Examples:
  rlm bench report rlm-bench.jsonl                  # the table, and rlm-bench.html
  rlm bench report runs/*.jsonl --chart all.html --title "14B against 7B"
Exit codes: 0 done, 2 usage, 3 a file missing or not a results file, 7 cannot write the chart.)");
  commands.push_back({report, [o, &context] { return run_report(*o, context); }});
}

} // namespace rlm::cli
