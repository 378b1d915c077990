// A bench summary drawn as one self-contained HTML page: for each suite, accuracy and
// tokens per task against document length, one line per method, with the table beneath.
// Inline SVG and CSS only: no scripts, no fonts or files fetched, so it opens anywhere.
#pragma once

#include "rlm/bench/summary.hpp"

#include <string>

namespace rlm::bench {

// The page for `summary`, headed by `title`: one section per suite, in the order of the rows.
// Every string from the summary is escaped; the same input always gives the same bytes.
std::string chart_html(const Summary& summary, const std::string& title);

} // namespace rlm::bench
