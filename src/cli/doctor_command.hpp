// `rlm doctor`: checks every configured provider and says whether each role can be served.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_doctor(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
