// Writing a file a command produces (a chart, a viewer page) so that a failure never leaves
// half of one over a good one.
#pragma once

#include <string>

namespace rlm::cli {

// Writes `text` to `path` through a temporary file beside it, renamed over `path` once
// complete. Throws Fatal (output) when it cannot be written; the temporary is removed.
void write_file_atomically(const std::string& path, const std::string& text);

} // namespace rlm::cli
