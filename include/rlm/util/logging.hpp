// Logging setup: spdlog writing to stderr only, because stdout carries answers.
#pragma once

#include "rlm/util/environment.hpp"

#include <spdlog/common.h>

#include <optional>
#include <string_view>

namespace rlm {

// The level named by `name` (trace, debug, info, warn/warning, error, off), if valid.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Verbosity from the command line: -v steps, or -q.
struct Verbosity {
  int verbose = 0; // number of -v flags
  bool quiet = false;
};

// The level in force: -q (errors only) or -v/-vv/-vvv (info, debug, trace) win; otherwise
// $RLM_LOG; otherwise warnings. An unusable $RLM_LOG is reported and ignored.
spdlog::level::level_enum effective_log_level(Verbosity verbosity, const Environment& env);

// Installs the default logger: stderr only, "rlm: <level>: message", colour on terminals.
void init_logging(Verbosity verbosity, const Environment& env);

} // namespace rlm
