#include "view_command.hpp"

#include "fatal.hpp"
#include "output_file.hpp"

#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/view/page.hpp"
#include "rlm/view/trajectory_file.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace rlm::cli {

namespace {

struct ViewOptions {
  std::string input;
  std::string output; // empty: beside the input; "-": stdout
};

// run.jsonl and run.jsonl.partial (a run still going) both give run.html beside them.
std::string default_page_path(const std::string& input) {
  std::filesystem::path path(input);
  if (path.extension() == ".partial") path.replace_extension();
  if (path.extension() == ".jsonl" || path.extension() == ".json") path.replace_extension();
  path += ".html";
  return path.string();
}

void refuse_input_path(const std::string& output, const std::string& input) {
  std::error_code ec;
  if (std::filesystem::equivalent(output, input, ec)) {
    throw Fatal(ExitCode::usage,
                fmt::format("the page would replace the trajectory {}", printable(input, 200)),
                "give -o a path of its own, such as run.html");
  }
}

void report_condition(const std::string& input, const view::Trajectory& trajectory) {
  const auto name = printable(input, 200);
  if (trajectory.last_line_partial) {
    write_stderr_line("warning", fmt::format("{}: the last line is incomplete (a run still being "
                                             "written?); left out",
                                             name));
  }
  if (const auto n = trajectory.skipped_lines; n > 0) {
    write_stderr_line("warning", fmt::format("{}: {} line{} not JSON; skipped", name, n,
                                             n == 1 ? " is" : "s are"));
  }
  if (!trajectory.finished)
    write_stderr_line("warning", fmt::format("{}: the run did not finish (no result line)", name));
}

int run_view(const ViewOptions& o, const Context& context) {
  const bool to_stdout = o.output == "-";
  const auto output = o.output.empty() ? default_page_path(o.input) : o.output;
  if (!to_stdout) refuse_input_path(output, o.input);
  const auto trajectory = or_exit(view::read_trajectory(o.input));
  if (!context.options.verbosity.quiet) report_condition(o.input, trajectory);
  const auto source = std::filesystem::path(o.input).filename().string();
  const auto page = view::render_page(trajectory, source);
  if (to_stdout) {
    write_stdout(page);
    return to_int(ExitCode::success);
  }
  write_file_atomically(output, page);
  if (!context.options.verbosity.quiet)
    write_stderr_line("info", fmt::format("page: {}", printable(output, 200)));
  return to_int(ExitCode::success);
}

} // namespace

void setup_view(CLI::App& app, Context& context, CommandTable& commands) {
  auto o = std::make_shared<ViewOptions>();
  auto* view = app.add_subcommand(
      "view", "Write a trajectory (rlm ask --trajectory) as one self-contained HTML page");
  view->add_option("FILE", o->input, "The trajectory: a .jsonl file, or its .partial while it runs")
      ->required();
  view->add_option("-o,--output", o->output,
                   "Where to write the page (default: FILE with .html; - for stdout)")
      ->type_name("FILE");
  view->footer(R"(
Examples:
  rlm ask -c big.log --trajectory run.jsonl "Which service failed first?"
  rlm view run.jsonl                 # writes run.html; open it in any browser, offline
  rlm view run.jsonl.partial -o - > now.html   # a run still going
Exit codes: 0 written, 2 usage, 3 the file missing, not a trajectory or of an unsupported
trajectory_version, 7 the page could not be written.)");
  commands.push_back({view, [o, &context] { return run_view(*o, context); }});
}

} // namespace rlm::cli
