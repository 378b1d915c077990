// `rlm bench show`: one generated document on stdout, its question and answer on stderr.
#pragma once

#include "command.hpp"

namespace rlm::cli {

void setup_bench_show(CLI::App& bench, CommandTable& commands);

} // namespace rlm::cli
