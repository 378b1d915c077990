// Loading the configuration a command runs with, and reporting what is wrong with it.
#pragma once

#include "context.hpp"

#include "rlm/config/config.hpp"
#include "rlm/config/diagnostic.hpp"
#include "rlm/config/locate.hpp"
#include "rlm/lua/limits.hpp"

#include <vector>

namespace rlm::cli {

struct EffectiveConfig {
  config::Config config;
  config::ConfigSource source;
};

// Locates and loads the configuration; warnings are logged; errors throw Fatal (exit 2)
// naming every problem, one per line.
EffectiveConfig load_effective_config(const Context& context);

// Prints each diagnostic on its own line to stderr, "rlm: error: ..." or "rlm: warning: ...";
// warnings only unless `quiet`.
void print_diagnostics(const std::vector<config::Diagnostic>& diagnostics, bool quiet);

// The REPL's limits from the config's [sandbox] table.
lua::Limits sandbox_limits(const config::SandboxSettings& sandbox);

} // namespace rlm::cli
