#include "effective_config.hpp"

#include "fatal.hpp"

#include "rlm/config/load.hpp"
#include "rlm/util/console.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace rlm::cli {

using config::Diagnostic;

void print_diagnostics(const std::vector<Diagnostic>& diagnostics, bool quiet) {
  for (const auto& d : diagnostics) {
    const bool error = d.severity == Diagnostic::Severity::error;
    if (!error && quiet) continue;
    write_stderr_line(error ? "error" : "warning", config::format(d));
  }
}

EffectiveConfig load_effective_config(const Context& context) {
  auto source = or_exit(config::locate_config(context.options.config_path, context.env, "."));
  if (!source.path) return {config::built_in_config(), source};
  spdlog::debug("reading configuration from {} (found by {})", source.path->string(),
                source.found_by);
  auto result = config::load_config_file(*source.path);
  std::string errors;
  for (const auto& d : result.diagnostics) {
    if (d.severity == Diagnostic::Severity::warning) {
      spdlog::warn("{}", config::format(d));
    } else {
      errors += (errors.empty() ? "" : "\n") + config::format(d);
    }
  }
  if (!errors.empty()) {
    throw Fatal(ExitCode::usage, errors); // each line already carries its fix
  }
  return {std::move(result.config), std::move(source)};
}

lua::Limits sandbox_limits(const config::SandboxSettings& s) {
  lua::Limits limits;
  limits.cell_timeout_seconds = s.cell_timeout_seconds;
  limits.memory_limit_bytes = s.memory_limit_mb << 20;
  limits.max_output_bytes = s.max_output_bytes;
  limits.max_source_bytes = s.max_source_bytes;
  limits.max_error_bytes = s.max_error_bytes;
  return limits;
}

} // namespace rlm::cli
