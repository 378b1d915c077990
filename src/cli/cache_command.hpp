// `rlm cache stats` and `rlm cache clear`: what the model-call cache holds, and emptying it.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_cache(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
