// The page's template files (src/view/page.html, page.css, page.js), compiled in by
// cmake/EmbedFiles.cmake at build time.
#pragma once

#include <string_view>

namespace rlm::view {

extern const std::string_view k_page_html;
extern const std::string_view k_page_css;
extern const std::string_view k_page_js;

} // namespace rlm::view
