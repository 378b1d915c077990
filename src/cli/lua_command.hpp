// `rlm lua`: run Lua in exactly the sandbox `rlm ask` uses, for debugging a model's code.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_lua(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
