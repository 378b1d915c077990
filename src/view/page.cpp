#include "rlm/view/page.hpp"

#include "page_assets.hpp"

#include <nlohmann/json.hpp>

namespace rlm::view {

namespace {

// Where page.html takes the style, the script and the data.
constexpr std::string_view k_style_slot = "/*@rlm-style@*/";
constexpr std::string_view k_script_slot = "/*@rlm-script@*/";
constexpr std::string_view k_data_slot = "@rlm-data@";

void fill(std::string& page, std::string_view slot, std::string_view text) {
  if (const auto at = page.find(slot); at != std::string::npos) page.replace(at, slot.size(), text);
}

} // namespace

std::string escape_for_script(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029"; // line breaks to old JavaScript
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_page(const Trajectory& trajectory, std::string_view source) {
  const nlohmann::json data = {{"source", std::string(source)},
                               {"finished", trajectory.finished},
                               {"last_line_partial", trajectory.last_line_partial},
                               {"skipped_lines", trajectory.skipped_lines},
                               {"lines", trajectory.lines}};
  const auto json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string page(k_page_html);
  // The data last: its text must not be searched for the other slots.
  fill(page, k_style_slot, k_page_css);
  fill(page, k_script_slot, k_page_js);
  fill(page, k_data_slot, escape_for_script(json));
  return page;
}

} // namespace rlm::view
