#include "ask_command.hpp"

#include "effective_config.hpp"
#include "fatal.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "run_overrides.hpp"

#include "rlm/document/document_set.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/report.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/loop/trajectory.hpp"
#include "rlm/providers/factory.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/version.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace rlm::cli {

namespace {

struct AskOptions {
  std::vector<std::string> contexts;
  std::string query;
  std::string query_file;
  bool json = false;
  std::string trajectory;
  RunOverrides run;
  std::optional<std::int64_t> bypass_threshold;
  bool bypass = false;
  bool no_bypass = false;
};

std::string read_query(const AskOptions& o) {
  std::string query = o.query;
  if (!o.query_file.empty()) {
    if (!query.empty()) {
      throw Fatal(ExitCode::usage, "both a QUERY and --query-file were given",
                  "give the question one way");
    }
    std::ifstream in(o.query_file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
      throw Fatal(ExitCode::input,
                  fmt::format("cannot read the query file {}", printable(o.query_file, 200)),
                  "check the path");
    }
    query = text.str();
  }
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Fatal(ExitCode::usage, "the query is empty",
                "ask a question: rlm ask --context FILE \"What ...?\" (or --query-file FILE)");
  }
  return query;
}

// Flags override the config for this run.
void apply_overrides(config::Config& cfg, const AskOptions& o) {
  apply_run_overrides(cfg, o.run);
  if (o.bypass_threshold) cfg.bypass_threshold = *o.bypass_threshold;
  if (o.bypass) cfg.bypass_enabled = true;
  if (o.no_bypass) cfg.bypass_enabled = false;
}

nlohmann::json header(const config::Config& cfg, const document::DocumentSet& docs,
                      const std::string& query) {
  nlohmann::json documents = nlohmann::json::array();
  for (const auto& d : docs.documents()) {
    documents.push_back(
        {{"name", d.name}, {"bytes", d.bytes}, {"chars", d.characters}, {"lines", d.lines}});
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& p : cfg.providers) {
    providers.push_back({{"name", p.name},
                         {"type", config::to_string(p.type)},
                         {"role", config::to_string(p.role)},
                         {"model", p.model},
                         {"base_url", p.base_url}});
  }
  return {{"type", "run"},
          {"trajectory_version", loop::k_trajectory_version},
          {"rlm_version", k_version},
          {"query", query},
          {"documents", documents},
          {"providers", providers},
          {"settings",
           {{"max_iterations", cfg.max_iterations},
            {"max_sub_calls", cfg.max_sub_calls},
            {"max_depth", cfg.max_depth},
            {"bypass_enabled", cfg.bypass_enabled},
            {"stream_execution", cfg.stream_execution},
            {"bypass_threshold", cfg.bypass_threshold},
            {"trajectory_max_text", cfg.trajectory_max_text},
            {"max_cost", cfg.max_cost ? nlohmann::json(*cfg.max_cost) : nlohmann::json()},
            {"max_seconds", cfg.max_seconds ? nlohmann::json(*cfg.max_seconds) : nlohmann::json()},
            {"max_tokens", cfg.max_tokens ? nlohmann::json(*cfg.max_tokens) : nlohmann::json()}}}};
}

// Forwards each event to several observers.
class Fanout final : public loop::Observer {
public:
  explicit Fanout(std::vector<loop::Observer*> observers) : m_observers(std::move(observers)) {}
  void on_start(const loop::StartInfo& i) override {
    for (auto* o : m_observers) o->on_start(i);
  }
  void on_model_call(int n, int depth) override {
    for (auto* o : m_observers) o->on_model_call(n, depth);
  }
  void on_sub_call(const loop::SubCallRecord& r) override {
    for (auto* o : m_observers) o->on_sub_call(r);
  }
  void on_iteration(const loop::IterationRecord& r) override {
    for (auto* o : m_observers) o->on_iteration(r);
  }
  void on_request(const loop::RequestRecord& r) override {
    for (auto* o : m_observers) o->on_request(r);
  }
  void on_cell_start(int depth) override {
    for (auto* o : m_observers) o->on_cell_start(depth);
  }
  void on_cell_end(int depth) override {
    for (auto* o : m_observers) o->on_cell_end(depth);
  }
  void on_sub_call_start() override {
    for (auto* o : m_observers) o->on_sub_call_start();
  }

private:
  std::vector<loop::Observer*> m_observers;
};

std::string usage_line(const char* role, const providers::Tally& t) {
  std::string line = fmt::format("{} {} answered call{}, {} prompt tokens ({} cached), {} "
                                 "completion",
                                 role, t.calls, t.calls == 1 ? "" : "s", t.prompt_tokens,
                                 t.cached_tokens, t.completion_tokens);
  if (t.reasoning_tokens > 0) line += fmt::format(" ({} reasoning)", t.reasoning_tokens);
  if (const auto cost = t.cost())
    line += fmt::format(", cost {:.4f}{}", *cost, t.cost_partial() ? " (partial)" : "");
  if (t.cache_hits > 0) line += fmt::format("; {} answered from the cache", t.cache_hits);
  return line;
}

// How the run ended, in the same numbers as --json: turns, and sub-calls that ended (answered
// or failed; calls cut off by Ctrl-C are not counted).
std::string summary_line(const loop::RunResult& result) {
  const bool answered = result.stop == loop::StopReason::final_answer ||
                        result.stop == loop::StopReason::max_iterations ||
                        (loop::is_budget(result.stop) && result.answer);
  if (result.mode == loop::RunMode::bypass) {
    if (!answered)
      return fmt::format("stopped after {:.1f} s: the direct call got no answer", result.seconds);
    return fmt::format("answered directly (bypass) in {:.1f} s{}", result.seconds,
                       result.answer_cut_short ? ", cut short" : "");
  }
  std::string line =
      fmt::format("{} in {:.1f} s: {} turn{}, {} sub-call{}", answered ? "done" : "stopped",
                  result.seconds, result.iterations, result.iterations == 1 ? "" : "s",
                  result.sub_calls, result.sub_calls == 1 ? "" : "s");
  if (result.sub_calls_failed > 0) line += fmt::format(" ({} failed)", result.sub_calls_failed);
  if (answered && result.answer_cut_short) line += "; the answer was cut short";
  return line;
}

ExitCode exit_code_for(loop::StopReason stop) {
  switch (stop) {
  case loop::StopReason::final_answer:
  case loop::StopReason::max_iterations: return ExitCode::success;
  case loop::StopReason::errors:
  case loop::StopReason::max_cost: // a budget ran out: the answer is printed, with a warning
  case loop::StopReason::max_seconds:
  case loop::StopReason::max_tokens: return ExitCode::limit;
  case loop::StopReason::provider: return ExitCode::provider;
  case loop::StopReason::cancelled: return ExitCode::interrupted;
  case loop::StopReason::failure: return ExitCode::failure;
  }
  return ExitCode::failure;
}

// The documents named on the command line, or standard input when it is not a terminal.
document::DocumentSet read_documents(const AskOptions& options) {
  auto contexts = options.contexts;
  if (contexts.empty()) {
    if (stdin_is_terminal()) {
      throw Fatal(ExitCode::usage, "no document given",
                  "name one with --context FILE, or pipe one in: cat doc.txt | rlm ask \"...\"");
    }
    contexts.emplace_back("-");
  }
  document::DocumentSet documents;
  for (const auto& path : contexts) or_exit(documents.add_file(path));
  return documents;
}

Progress::Style progress_style(const Context& context) {
  if (context.options.verbosity.quiet) return Progress::Style::quiet;
  return stderr_is_terminal() ? Progress::Style::live : Progress::Style::lines;
}

// The answer (or the --json report) on stdout.
void print_answer(const loop::RunResult& result, const nlohmann::json& report, bool json) {
  if (json) {
    write_stdout(report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  } else if (result.answer) {
    write_stdout(*result.answer + (result.answer->ends_with('\n') ? "" : "\n"));
  }
}

// Why the run ended, when it is worth a line on stderr.
void print_ending(const loop::RunResult& result, bool quiet) {
  if (result.answer && result.answer_cut_short) { // even with -q: it is about the answer
    write_stderr_line("error", result.answer_finish_reason == "content_filter"
                                   ? "the server's content filter stopped the answer: what is "
                                     "printed is cut short"
                                   : "the answer stopped at max_tokens: what is printed is cut "
                                     "short; raise max_tokens for the root provider");
  }
  switch (result.stop) {
  case loop::StopReason::final_answer: break;
  case loop::StopReason::max_iterations:
  case loop::StopReason::max_cost:
  case loop::StopReason::max_seconds:
  case loop::StopReason::max_tokens:
    if (!quiet) write_stderr_line("warning", result.message);
    break;
  case loop::StopReason::cancelled:
    write_stderr_line("error", result.answer
                                   ? interrupted_by() + "; the answer printed is the last one the "
                                                        "model gave before it was turned back"
                                   : interrupted_by() + " before an answer");
    break;
  case loop::StopReason::errors:
  case loop::StopReason::provider:
    write_stderr_line("error", printable(result.message, 2000));
    break;
  case loop::StopReason::failure: // the REPL could not start: one line, exit 1, as before
    exit_with(*result.error);
    break;
  }
}

void print_summary(const loop::RunResult& result, const providers::UsageReport& usage) {
  write_stderr_line("info", summary_line(result));
  for (const auto& [role, tally] : {std::pair{"root:", &usage.root}, {"sub:", &usage.sub}}) {
    if (tally->calls > 0 || tally->cache_hits > 0)
      write_stderr_line("info", usage_line(role, *tally));
  }
}

int exit_code_of(const loop::RunResult& result) {
  if (result.stop == loop::StopReason::cancelled) return interrupted_exit_code();
  if (result.answer && result.answer_cut_short) return to_int(ExitCode::limit);
  return to_int(exit_code_for(result.stop));
}

int run_ask(const AskOptions& options, const Context& context) {
  const auto query = read_query(options);
  auto effective = load_effective_config(context);
  auto& cfg = effective.config;
  apply_overrides(cfg, options);
  const auto documents = read_documents(options);
  const auto prompts = or_exit(loop::load_prompts(cfg.prompts_dir));
  RunTransport transport(options.run);
  auto pool = make_run_pool(cfg, transport.get(), transport.environment(context.env));
  pool->warm_up(); // the root's and the sub's windows, asked in parallel rather than in turn
  const auto settings = run_settings(cfg);

  const auto style = progress_style(context);
  Progress progress(style, cfg.max_iterations, cfg.max_sub_calls);
  std::unique_ptr<loop::TrajectoryWriter> trajectory;
  if (!options.trajectory.empty()) {
    trajectory =
        or_exit(loop::TrajectoryWriter::open(options.trajectory, header(cfg, documents, query)));
  }
  std::vector<loop::Observer*> observers = {&progress};
  if (trajectory) observers.push_back(trajectory.get());
  Fanout observer(observers);

  const auto& cancel = interrupt_on_signals();
  const auto result = loop::run(documents, query, {*pool, prompts, settings, observer, &cancel});
  progress.done();
  const auto usage = pool->usage();
  const auto report = loop::to_json(result, usage);
  if (trajectory) or_exit(trajectory->finish(report));
  transport.finish();
  print_answer(result, report, options.json);
  print_ending(result, context.options.verbosity.quiet);
  if (style != Progress::Style::quiet) print_summary(result, usage);
  return exit_code_of(result);
}

} // namespace

void setup_ask(CLI::App& app, Context& context, CommandTable& commands) {
  auto o = std::make_shared<AskOptions>();
  auto* ask = app.add_subcommand(
      "ask", "Answer a question about documents far larger than the model's context window");
  ask->add_option("query", o->query, "The question (or use --query-file)")->type_name("QUERY");
  ask->add_option("--context,-c", o->contexts,
                  "Document to read (repeatable); - or none reads stdin")
      ->type_name("FILE")
      ->allow_extra_args(false);
  ask->add_option("--query-file", o->query_file, "Read the question from FILE")->type_name("FILE");
  ask->add_flag("--json", o->json,
                "Print one JSON object: answer, mode, stop reason, iterations, sub-calls, tokens "
                "and cost per role, time");
  ask->add_option("--trajectory", o->trajectory, "Write every step as JSON lines to FILE")
      ->type_name("FILE");
  add_run_override_options(*ask, o->run);
  ask->add_option("--bypass-threshold", o->bypass_threshold,
                  "Documents under this many characters go to the model directly")
      ->check(CLI::NonNegativeNumber);
  auto* bypass = ask->add_flag("--bypass", o->bypass, "Allow the small-document bypass");
  ask->add_flag("--no-bypass", o->no_bypass, "Always run the RLM loop")->excludes(bypass);
  ask->footer(R"(
Examples:
  rlm ask --context big.log "Which service failed first, and why?"
  cat notes/*.md | rlm ask "List every decision with its date"
  rlm ask -c a.txt -c b.txt --json "Do the two contracts disagree on the notice period?"
  rlm ask --trajectory run.jsonl --max-iterations 10 -c report.txt "Summarise the findings"
The answer goes to stdout; progress and logs to stderr. Exit codes: 0 answered, 2 usage or
config, 3 unusable input, 4 provider failed (nothing is printed), 5 limit (the model's code
failed too often, or the answer printed stopped at max_tokens), 130 interrupted (143 on
SIGTERM, 129 on SIGHUP). Details: docs/cli.md)");
  commands.push_back({ask, [o, &context] { return run_ask(*o, context); }});
}

} // namespace rlm::cli
