// What the TOML parser must never see. toml++ 3.3.0 (Debian 12's) has bugs reachable from a
// config file, each fixed upstream later; rlm finds the text that reaches them first and
// reports it as an ordinary config error:
//  - a key of tens of thousands of dotted parts overflows the stack (its parser recurses
//    once per part);
//  - a table header that does not start with a key character, `[.` or `[~`, fails an
//    assertion in parse_key (upstream PR #301);
//  - a non-ASCII character where toml++ tests for whitespace reaches `unreachable`
//    (upstream issue #190, PR #305). toml_defuse.hpp is what makes that safe everywhere;
//    this scan only names the common cases plainly: a bare non-ASCII character (the typo
//    `é = 1`; bare keys are ASCII), and a backslash before one in a string (no escape is).
// The scan knows TOML's strings (basic with escapes, literal, and both multi-line forms)
// and comments, so text inside them is never mistaken for keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rlm::config {

inline constexpr int k_max_key_parts = 64;

struct GuardFinding {
  int line = 0;
  std::string message;
  std::string hint;
};

// The first problem in `text` that toml++ must not be given, if any.
std::optional<GuardFinding> find_parser_hazard(std::string_view text);

} // namespace rlm::config
