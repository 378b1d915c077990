#include "bench_output.hpp"

#include "output_file.hpp"

#include "fatal.hpp"
#include "rlm/bench/chart.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <set>

namespace rlm::cli {

namespace {

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

void refuse_results_path(const std::string& path, const std::vector<std::string>& results) {
  for (const auto& r : results) {
    std::error_code ec;
    if (std::filesystem::equivalent(path, r, ec)) {
      throw Fatal(ExitCode::usage,
                  fmt::format("the chart would replace the results file {}", printable(r, 200)),
                  "give --chart a path of its own, such as chart.html");
    }
  }
}

} // namespace

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

void write_chart(const std::string& path, const bench::Summary& summary, const std::string& title,
                 const std::vector<std::string>& results) {
  check_chartable(summary);
  refuse_results_path(path, results);
  write_file_atomically(path, bench::chart_html(summary, title));
}

} // namespace rlm::cli
