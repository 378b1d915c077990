// The one toml++ 3.3.0 bug no pre-scan can fence in: its whitespace test
// (is_non_ascii_horizontal_whitespace) reaches `unreachable` for the characters
// U+00A1-U+0499, U+2C5E-U+3057 (but U+3000) and U+FB26-U+FEFE, and its parser applies the
// test in places that depend on its own state (after invalid values, inside a string's
// line-ending backslash, ...). So toml++ never sees those characters: each distinct one is
// swapped for a stand-in the test answers safely, of the same length in bytes and in
// characters (lines and columns stay true), and swapped back in the parsed strings, keys
// and error messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlm::config {

struct Defused {
  std::string text;                                       // what toml++ may parse
  std::vector<std::pair<std::string, std::string>> swaps; // stand-in, original
  // `parsed` (a string value, a key, a message) with the originals back.
  std::string restore(std::string_view parsed) const;
};

// Nothing when `text` holds none of those characters (it can be parsed as it is); a message
// when it holds more different ones than there are stand-ins (hundreds: no config does).
std::optional<Defused> defuse(std::string_view text, std::string* too_many = nullptr);

} // namespace rlm::config
