#include "rlm/config/diagnostic.hpp"

#include "rlm/util/display.hpp"

#include <algorithm>

namespace rlm::config {

std::string format(const Diagnostic& d) {
  // Every part may hold text from the file: escape control characters so no message can
  // forge a line or drive the terminal.
  std::string out = printable(d.file, 256);
  if (d.line > 0) {
    out += ':'; // not ":" + to_string(): GCC 12 warns falsely (-Wrestrict) at -O2
    out += std::to_string(d.line);
  }
  out += ": ";
  if (!d.key.empty()) out += printable(d.key) + ": ";
  out += printable(d.message, 400);
  if (!d.hint.empty()) out += "; " + printable(d.hint, 400);
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::ranges::any_of(
      diagnostics, [](const auto& d) { return d.severity == Diagnostic::Severity::error; });
}

} // namespace rlm::config
