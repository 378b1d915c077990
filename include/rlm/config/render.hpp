// The effective configuration as TOML text, each value annotated with where it came from.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/config/locate.hpp"
#include "rlm/util/environment.hpp"

#include <string>

namespace rlm::config {

// TOML that loads back to `config`, with a comment on each line naming the value's origin
// (file:line, environment, or default). API keys are never shown: only whether the variable
// named by api_key_env is set in `env`.
std::string render_config(const Config& config, const ConfigSource& source, const Environment& env);

} // namespace rlm::config
