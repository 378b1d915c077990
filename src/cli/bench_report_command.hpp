// `rlm bench report`: the summary of results files on stdout, and their chart (HTML).
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_bench_report(CLI::App& bench, Context& context, CommandTable& commands);

} // namespace rlm::cli
