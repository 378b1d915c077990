// `rlm config show` and `rlm config check`.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

// Registers `config` and its subcommands on `app`.
void setup_config(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
