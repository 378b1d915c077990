// Builds the command-line parser, runs the chosen command, and turns every failure into one
// "rlm: error: ..." line on stderr and a documented exit code (docs/cli.md).
#include "rlm/cli/app.hpp"

#include "ask_command.hpp"
#include "bench_command.hpp"
#include "cache_command.hpp"
#include "command.hpp"
#include "config_command.hpp"
#include "context.hpp"
#include "doctor_command.hpp"
#include "lua_command.hpp"
#include "view_command.hpp"

#include "fatal.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/util/logging.hpp"
#include "rlm/util/suggest.hpp"
#include "rlm/version.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <sstream>

namespace rlm::cli {

namespace {

constexpr const char* k_examples = R"(
Examples:
  rlm ask --context big.log "Which service failed first?"
  cat doc.txt | rlm ask "Summarise the decisions"
  rlm config show                  the configuration in force, and where each value came from
  rlm config check rlm.toml        validate a config file (exit 2 on any error)
  rlm --config my.toml config show use a config file other than the default lookup
  RLM_LOG=debug rlm config show    more logging on stderr (or -v, -vv, -vvv)
  rlm lua --context big.log -e 'print(#grep("ERROR"))'
                                   run Lua in the sandbox model code runs in
  rlm doctor                       check every provider: server, model, context, key
  rlm ask --cache ...; rlm cache stats
                                   answer repeated deterministic calls from a local cache
  rlm view run.jsonl               a trajectory as a page (run.html) to open in a browser

Configuration: --config FILE, $RLM_CONFIG, ./rlm.toml, $XDG_CONFIG_HOME/rlm/config.toml
               (default ~/.config/rlm/config.toml), built-in. Details: docs/config.md
Exit codes: 0 ok, 1 internal error, 2 usage or config, 3 input, 4 provider, 5 limit,
            6 script error, 7 output failed, 130 interrupted (143 SIGTERM, 129 SIGHUP).
            Details: docs/cli.md)";

// Prints a Fatal as one line per message line, the hint joined to the last one.
void print_fatal(const Fatal& error) {
  std::istringstream lines(error.what());
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  if (all.empty()) all.emplace_back("failed");
  if (!error.hint().empty()) all.back() += "; " + error.hint();
  for (const auto& l : all) write_stderr_line("error", l);
}

// The innermost (sub)command the arguments reached.
const CLI::App* deepest_parsed(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands()) {
    if (sub->parsed()) return deepest_parsed(*sub);
  }
  return &app;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app != nullptr; app = app->get_parent())
    path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// The first argument no parser took, searching from the innermost command outwards.
std::optional<std::string> first_unclaimed(const CLI::App* app) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const auto rest = app->remaining(); !rest.empty()) return rest.front();
  }
  return std::nullopt;
}

int report_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  const auto* reached = deepest_parsed(app);
  auto message = std::string(error.what());
  if (!message.empty())
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  std::string hint = fmt::format("run '{} --help' for usage", command_path(reached));
  const auto unclaimed = first_unclaimed(reached);
  if (const auto* config = app.get_option_no_throw("--config"); config && config->count() > 0) {
    const auto value = config->as<std::string>();
    for (const auto* sub : app.get_subcommands({})) {
      if (sub->get_name() == value) {
        write_stderr_line("error",
                          fmt::format("--config took '{}' as its file name; give --config a "
                                      "file: rlm --config FILE {} ...",
                                      value, value));
        return to_int(ExitCode::usage);
      }
    }
  }
  const auto subcommands = reached->get_subcommands({});
  if (unclaimed && !unclaimed->starts_with("-") && !subcommands.empty()) {
    message = fmt::format("unknown command '{} {}'", command_path(reached), *unclaimed);
    std::vector<std::string> names;
    for (const auto* sub : subcommands) names.push_back(sub->get_name());
    std::vector<std::string_view> views(names.begin(), names.end());
    if (const auto match = closest_match(*unclaimed, views)) {
      hint = fmt::format("did you mean '{} {}'?", command_path(reached), *match);
    } else {
      hint = fmt::format("the commands are: {}", fmt::join(names, ", "));
    }
  } else if (!unclaimed && !subcommands.empty() &&
             dynamic_cast<const CLI::RequiredError*>(&error)) {
    std::vector<std::string> names;
    for (const auto* sub : subcommands) names.push_back(sub->get_name());
    message = fmt::format("'{}' needs a command", command_path(reached));
    hint =
        fmt::format("one of: {} (see '{} --help')", fmt::join(names, ", "), command_path(reached));
  }
  write_stderr_line("error", fmt::format("{}; {}", message, hint));
  return to_int(ExitCode::usage);
}

} // namespace

int run(int argc, char** argv) {
  Context context{.options = {}, .env = process_environment()};
  CLI::App app("rlm answers questions about documents far larger than a model's context window.",
               "rlm");
  app.set_version_flag("--version", fmt::format("rlm {}", k_version), "Print the version and exit");
  app.add_option("--config", context.options.config_path,
                 "Config file (overrides the lookup order)")
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("-v,--verbose", context.options.verbosity.verbose,
               "More log output on stderr: -v info, -vv debug, -vvv trace");
  auto* quiet =
      app.add_flag("-q,--quiet", context.options.verbosity.quiet, "Only errors on stderr");
  quiet->excludes("-v");
  app.footer(k_examples);
  app.require_subcommand(1);
  app.fallthrough(); // global options work after the subcommand too

  CommandTable commands;
  setup_ask(app, context, commands);
  setup_bench(app, context, commands);
  setup_config(app, context, commands);
  setup_lua(app, context, commands);
  setup_doctor(app, context, commands);
  setup_cache(app, context, commands);
  setup_view(app, context, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  }

  try {
    init_logging(context.options.verbosity, context.env);
    for (const auto& command : commands) {
      if (!command.parser->parsed()) continue;
      const int code = command.action();
      if (const auto failure = stdout_failed(); !failure.empty()) {
        if (stdout_reader_gone()) return to_int(ExitCode::output); // `| head`: no noise
        write_stderr_line("error", fmt::format("cannot write the output: {}; check that stdout is "
                                               "open and the disk is not full",
                                               failure));
        return to_int(ExitCode::output);
      }
      return code;
    }
    write_stderr_line("error", "no command given; run 'rlm --help' for usage");
    return to_int(ExitCode::usage);
  } catch (const Fatal& error) {
    print_fatal(error);
    return to_int(error.code());
  } catch (const std::exception& error) {
    write_stderr_line("error",
                      fmt::format("internal error: {}; please report this as a bug", error.what()));
    return to_int(ExitCode::failure);
  }
}

} // namespace rlm::cli
