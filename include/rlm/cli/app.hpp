// The command-line interface: parses arguments, runs one subcommand, maps errors to exit codes.
#pragma once

namespace rlm::cli {

// Runs rlm with the process's arguments and environment; returns the exit code.
int run(int argc, char** argv);

} // namespace rlm::cli
