// What the TOML parser must never see. toml++ 3.3.0 (Debian 12's) has bugs reachable from a
// config file, each fixed upstream later; rlm finds the text that reaches them first and
// reports it as an ordinary config error:
//  - a key of tens of thousands of dotted parts overflows the stack (its parser recurses
//    once per part);
//  - a table header that does not start with a key character, `[.` or `[~`, fails an
//    assertion in parse_key (upstream PR #301);
//  - a bare non-ASCII character outside quotes, as in the typo `é = 1`, reaches
//    `unreachable` (undefined behaviour; upstream issue #190, PR #305). Bare keys are ASCII
//    in TOML anyway, so such text was never valid.
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

// The bug behind the non-ASCII hazards is one function: toml++ 3.3.0's whitespace test
// reaches `unreachable` for the characters U+00A1-U+0499, U+2C5E-U+3057 (but U+3000) and
// U+FB26-U+FEFE, wherever its
// parser applies it (the scan above finds the places fuzzing has found). As a backstop for
// any other place: `text` with each such character replaced by a harmless one of the same
// length in bytes and characters (so lines and columns stay true), or nothing when it has
// none. Parsed first, it fails where the original would and never reaches the bug; a text
// it accepts holds those characters only where the parser does not test them.
std::optional<std::string> defused_copy(std::string_view text);

} // namespace rlm::config
