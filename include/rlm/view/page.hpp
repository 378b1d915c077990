// `rlm view`'s page: one self-contained HTML file (inline CSS and JS, no URL of any kind)
// that shows a trajectory. The trajectory goes in as data and the page's script builds the
// view from it with createElement and textContent, so no text of the run is ever parsed as
// HTML.
#pragma once

#include "rlm/view/trajectory_file.hpp"

#include <string>
#include <string_view>

namespace rlm::view {

// `json` (compact JSON text) made safe inside <script type="application/json">: `<`, `>`,
// `&`, U+2028 and U+2029 written as \uXXXX escapes, which mean the same to JSON.parse.
std::string escape_for_script(std::string_view json);

// The whole page for `trajectory`, read from the file called `source` (shown in the page).
std::string render_page(const Trajectory& trajectory, std::string_view source);

} // namespace rlm::view
