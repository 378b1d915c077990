// How subcommands plug into the CLI: each registers its CLI11 parser and an action to run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace rlm::cli {

// The action of one (sub)command; returns the exit code. Throws Fatal for user errors.
using Action = std::function<int()>;

struct Command {
  CLI::App* parser;
  Action action;
};

// All commands registered so far; the CLI runs the one the arguments chose.
using CommandTable = std::vector<Command>;

} // namespace rlm::cli
