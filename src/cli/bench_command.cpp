#include "bench_command.hpp"

#include "bench_report_command.hpp"
#include "bench_run_command.hpp"
#include "bench_show_command.hpp"

#include "rlm/bench/suites.hpp"

#include <fmt/format.h>

#include <cctype>
#include <string>

namespace rlm::cli {

namespace {

// A suite's summary as a subcommand's description: a sentence.
std::string capitalized(std::string_view text) {
  std::string out(text);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

constexpr const char* k_footer = R"(
Examples:
  rlm bench niah --lengths 4k..128k                 # RLM and the plain model, side by side
  rlm bench all --lengths 8k,64k --trials 3 --jobs 4 --out runs/qwen14b.jsonl
  rlm bench report runs/*.jsonl --chart runs/chart.html
  rlm bench show niah --length 16k --position 0.25 > doc.txt
Results are appended to rlm-bench.jsonl (--out) as each task finishes; the same command run
again skips finished tasks. Exit codes: 0 done, 2 usage or config, 3 unreadable results file,
4 provider failed (finished tasks kept), 7 cannot write, 130 interrupted (143 on SIGTERM, 129 on SIGHUP). Details: docs/bench.md)";

} // namespace

void setup_bench(CLI::App& app, Context& context, CommandTable& commands) {
  auto* bench = app.add_subcommand(
      "bench", "Compare the RLM loop with the plain model on generated long-context tasks");
  bench->require_subcommand(1);
  for (const auto& s : bench::suites()) {
    setup_bench_run(*bench, std::string(s.name), capitalized(s.summary), context, commands);
  }
  setup_bench_run(*bench, "all",
                  fmt::format("Every suite: {}", fmt::join(bench::suite_names(), ", ")), context,
                  commands);
  setup_bench_report(*bench, context, commands);
  setup_bench_show(*bench, commands);
  bench->footer(k_footer);
}

} // namespace rlm::cli
