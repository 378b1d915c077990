// What every subcommand receives: the global options and the environment.
#pragma once

#include "rlm/util/environment.hpp"
#include "rlm/util/logging.hpp"

#include <optional>
#include <string>

namespace rlm::cli {

struct GlobalOptions {
  std::optional<std::string> config_path; // --config FILE
  Verbosity verbosity;                    // -v / -q
};

struct Context {
  GlobalOptions options;
  Environment env;
};

} // namespace rlm::cli
