// `rlm ask`: answer a question about documents from files or stdin.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_ask(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
