#include "config_command.hpp"

#include "effective_config.hpp"
#include "fatal.hpp"

#include "rlm/config/load.hpp"
#include "rlm/config/render.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace rlm::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool strict = false;
};

int run_show(const Context& context) {
  const auto effective = load_effective_config(context);
  write_stdout(config::render_config(effective.config, effective.source, context.env));
  return to_int(ExitCode::success);
}

std::string summary(const config::Config& config) {
  std::vector<std::string> parts;
  for (const auto& p : config.providers)
    parts.push_back(fmt::format("{} {}", to_string(p.role), p.name));
  return fmt::format("{} provider{}: {}", parts.size(), parts.size() == 1 ? "" : "s",
                     fmt::join(parts, ", "));
}

int check_one(const std::string& file, const CheckOptions& options, const Context& context) {
  const auto result = config::load_config_file(file);
  const bool quiet = context.options.verbosity.quiet;
  print_diagnostics(result.diagnostics, quiet && !options.strict);
  const auto warnings = std::ranges::count_if(result.diagnostics, [](const auto& d) {
    return d.severity == config::Diagnostic::Severity::warning;
  });
  if (config::has_errors(result.diagnostics) || (options.strict && warnings > 0))
    return to_int(ExitCode::usage);
  if (!quiet) {
    const auto note =
        warnings > 0 ? fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s") : "";
    write_stdout(
        fmt::format("{}: ok ({}){}\n", printable(file, 256), summary(result.config), note));
  }
  return to_int(ExitCode::success);
}

int run_check(const CheckOptions& options, const Context& context) {
  auto files = options.files;
  if (files.empty()) {
    const auto source =
        or_exit(config::locate_config(context.options.config_path, context.env, "."));
    if (!source.path) {
      if (!context.options.verbosity.quiet) {
        write_stdout(
            fmt::format("no config file found; the built-in configuration is in use ({})\n",
                        summary(config::built_in_config())));
      }
      return to_int(ExitCode::success);
    }
    files.push_back(source.path->string());
  }
  int exit_code = to_int(ExitCode::success);
  for (const auto& file : files) {
    if (const int code = check_one(file, options, context); code != 0) exit_code = code;
  }
  return exit_code;
}

} // namespace

void setup_config(CLI::App& app, Context& context, CommandTable& commands) {
  auto* config = app.add_subcommand("config", "Show or check the configuration");
  config->require_subcommand(1);

  auto* show = config->add_subcommand(
      "show", "Print the configuration in force as TOML, with where each value came from");
  commands.push_back({show, [&context] { return run_show(context); }});

  auto options = std::make_shared<CheckOptions>();
  auto* check = config->add_subcommand(
      "check", "Validate config files (default: the one rlm would use); exit 2 on any error");
  check->add_option("files", options->files, "TOML files to check")->type_name("FILE...");
  check->add_flag("--strict", options->strict, "Treat warnings (unknown keys) as errors");
  commands.push_back({check, [options, &context] { return run_check(*options, context); }});
}

} // namespace rlm::cli
