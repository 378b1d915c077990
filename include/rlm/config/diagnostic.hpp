// A problem found in a configuration file: where it is, which key, what is wrong, the fix.
#pragma once

#include <string>
#include <vector>

namespace rlm::config {

struct Diagnostic {
  enum class Severity { warning, error };
  Severity severity = Severity::error;
  std::string file; // as the user named it
  int line = 0;     // 1-based; 0 = the file as a whole
  std::string key;  // dotted path, e.g. "providers[1].weight"; "" = no single key
  std::string message;
  std::string hint; // the fix, imperative; may be ""
};

// One line: "file:line: key: message; hint" (no severity prefix, no newline).
std::string format(const Diagnostic& d);

// True when any diagnostic is an error (warnings alone leave a config usable).
bool has_errors(const std::vector<Diagnostic>& diagnostics);

} // namespace rlm::config
