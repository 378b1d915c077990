#include "rlm/config/diagnostic.hpp"

#include <algorithm>

namespace rlm::config {

std::string format(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) out += ":" + std::to_string(d.line);
  out += ": ";
  if (!d.key.empty()) out += d.key + ": ";
  out += d.message;
  if (!d.hint.empty()) out += "; " + d.hint;
  return out;
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
  return std::ranges::any_of(
      diagnostics, [](const auto& d) { return d.severity == Diagnostic::Severity::error; });
}

} // namespace rlm::config
