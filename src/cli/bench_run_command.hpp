// `rlm bench <suite>` and `rlm bench all`: run the suite's tasks not yet in the results file,
// then print the summary of this command's tasks (and write the chart with --chart).
#pragma once

#include "command.hpp"
#include "context.hpp"

#include <string>

namespace rlm::cli {

// Adds the subcommand `suite` ("niah", ..., or "all") to `bench`.
void setup_bench_run(CLI::App& bench, const std::string& suite, const std::string& description,
                     Context& context, CommandTable& commands);

} // namespace rlm::cli
