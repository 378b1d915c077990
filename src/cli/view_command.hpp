// `rlm view FILE.jsonl [-o FILE.html]`: a trajectory as one self-contained HTML page.
#pragma once

#include "command.hpp"
#include "context.hpp"

namespace rlm::cli {

void setup_view(CLI::App& app, Context& context, CommandTable& commands);

} // namespace rlm::cli
