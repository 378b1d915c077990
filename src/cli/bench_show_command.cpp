#include "bench_show_command.hpp"

#include "bench_plan.hpp"

#include "fatal.hpp"
#include "rlm/bench/suites.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>

#include <memory>

namespace rlm::cli {

namespace {

struct ShowOptions {
  std::string suite;
  std::string length = "4k";
  double position = 0.5;
  std::int64_t trial = 1;
  std::int64_t seed = 42;
};

bench::TaskSpec spec_of(const ShowOptions& o) {
  const auto length = parse_lengths(o.length);
  if (length.size() != 1) {
    throw Fatal(ExitCode::usage, "--length takes one length", "e.g. --length 16k");
  }
  const auto* info = bench::find_suite(o.suite);
  const bool placed = info != nullptr && info->uses_positions;
  return {o.suite, length.front(), placed ? std::optional(o.position) : std::nullopt, o.trial - 1,
          o.seed};
}

int run_show(const ShowOptions& o) {
  const auto task = bench::generate(spec_of(o));
  write_stdout(task.document);
  write_stderr_line("info", fmt::format("query: {}", task.query));
  write_stderr_line("info", fmt::format("expected: {} (scored by {})", task.expected,
                                        bench::to_string(task.scorer)));
  return to_int(ExitCode::success);
}

} // namespace

void setup_bench_show(CLI::App& bench, CommandTable& commands) {
  auto o = std::make_shared<ShowOptions>();
  auto* show = bench.add_subcommand(
      "show", "Print one generated document (stdout) with its question and answer (stderr)");
  show->add_option("suite", o->suite,
                   fmt::format("One of: {}", fmt::join(bench::suite_names(), ", ")))
      ->required()
      ->check(CLI::IsMember(bench::suite_names()));
  show->add_option("--length", o->length, "Length in tokens")->capture_default_str();
  show->add_option("--position", o->position, "Where the fact sits (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  show->add_option("--trial", o->trial, "Which trial (1-based)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000}))
      ->capture_default_str();
  show->add_option("--seed", o->seed, "Seed")->capture_default_str();
  show->footer(R"(
Example:
  rlm bench show aggregate --length 16k --trial 2 > tickets.txt)");
  commands.push_back({show, [o] { return run_show(*o); }});
}

} // namespace rlm::cli
