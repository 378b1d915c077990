// Safe display of text that came from a user's file or environment: no control characters
// (which could forge lines or drive the terminal), no secrets, no megabyte-long echoes.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace rlm {

// True when `text` looks like a credential: a known key prefix (sk-, ghp_, AKIA, hf_, ...)
// or a long run of letters and digits with no spaces.
bool looks_like_secret(std::string_view text);

// `text` with control characters escaped (\n, \x1b, ...) and cut to `max_bytes` with "...".
std::string printable(std::string_view text, std::size_t max_bytes = 80);

// `text` with every occurrence of `secret` replaced by "<redacted>" (secrets shorter than 8
// characters are left alone: they would match ordinary words). For text a server sent back,
// which may echo the key it was given.
std::string redact(std::string text, std::string_view secret);

// A number with thousands separators, for messages: 131072 -> "131,072".
template <std::integral T> std::string with_commas(T n) {
  auto digits = std::to_string(n);
  const int sign = n < 0 ? 1 : 0;
  for (int i = static_cast<int>(digits.size()) - 3; i > sign; i -= 3)
    digits.insert(static_cast<std::size_t>(i), 1, ',');
  return digits;
}

// A value to quote back in a message: printable(text) in double quotes, or "(value hidden)"
// when it looks like a secret.
std::string quoted_for_display(std::string_view text);

} // namespace rlm
