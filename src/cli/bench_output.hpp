// What `rlm bench` and `rlm bench report` both write besides the table: the warning for
// lines that are not records, and the chart file.
#pragma once

#include "rlm/bench/summary.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rlm::cli {

// Warns on stderr that `bad` lines of `path` were ignored (nothing when there are none).
void report_bad_lines(const std::string& path, std::size_t bad);

// "rlm bench: <models>", or "rlm bench" when the records name no model.
std::string chart_title(const bench::Summary& summary);

// Draws `summary` as HTML and writes it to `path` through a temporary file, so a good chart
// is never half-replaced. Throws Fatal: input when the summary has too many suites or
// methods to draw, usage when `path` is one of `results`, output when it cannot be written.
void write_chart(const std::string& path, const bench::Summary& summary, const std::string& title,
                 const std::vector<std::string>& results);

} // namespace rlm::cli
