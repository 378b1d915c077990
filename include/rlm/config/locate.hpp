// Which configuration file rlm reads, following the documented lookup order.
#pragma once

#include "rlm/util/environment.hpp"
#include "rlm/util/error.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace rlm::config {

struct ConfigSource {
  std::optional<std::filesystem::path> path; // nothing = the built-in configuration
  std::string
      found_by; // "--config", "$RLM_CONFIG", "./rlm.toml", "$XDG_CONFIG_HOME/...", "built-in"
};

// The first of: `flag` (--config), $RLM_CONFIG, ./rlm.toml in `cwd`,
// $XDG_CONFIG_HOME/rlm/config.toml (default ~/.config/rlm/config.toml), the built-in
// configuration. A file named by --config or $RLM_CONFIG must exist: fails
// (ErrorKind::usage) if not.
Result<ConfigSource> locate_config(const std::optional<std::string>& flag, const Environment& env,
                                   const std::filesystem::path& cwd);

} // namespace rlm::config
