// `rlm bench`: RLM against the plain model on generated long-context tasks (niah,
// multifact, aggregate, multihop, all), resumable; `rlm bench report` reprints and charts
// results; `rlm bench show` prints one generated task.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_bench(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
