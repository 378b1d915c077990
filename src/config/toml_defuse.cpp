#include "toml_defuse.hpp"

#include <map>
#include <set>

namespace rlm::config {

namespace {

// The code point of the UTF-8 sequence at `at` and its length: 1 for ASCII, and for a
// byte that starts no two- or three-byte sequence (four-byte ones pass through byte by
// byte), a value past Unicode that no test or stand-in can mistake for a character.
std::pair<char32_t, std::size_t> decode(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0U;
  };
  const auto lead = byte(at);
  if (lead >= 0xC2 && lead <= 0xDF) return {((lead & 0x1FU) << 6) | (byte(at + 1) & 0x3FU), 2};
  if (lead >= 0xE0 && lead <= 0xEF) {
    return {((lead & 0x0FU) << 12) | ((byte(at + 1) & 0x3FU) << 6) | (byte(at + 2) & 0x3FU), 3};
  }
  return {lead < 0x80 ? lead : 0x110000 + lead, 1};
}

std::string encode(char32_t c) {
  std::string out;
  if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  }
  out += static_cast<char>(0x80 | (c & 0x3F));
  return out;
}

// Worked out from the test's bit mask: the three 1,018-character blocks its switch forgets
// (0, 11 and 63), less the characters it tests before the switch.
bool breaks_the_whitespace_test(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) ||
         (c >= 0xFB26 && c <= 0xFEFE);
}

} // namespace

std::string Defused::restore(std::string_view parsed) const {
  std::string out(parsed);
  for (const auto& [stand_in, original] : swaps) {
    for (auto at = out.find(stand_in); at != std::string::npos;
         at = out.find(stand_in, at + original.size()))
      out.replace(at, stand_in.size(), original);
  }
  return out;
}

std::optional<Defused> defuse(std::string_view text, std::string* too_many) {
  std::set<char32_t> present;
  bool any = false;
  for (std::size_t at = 0; at < text.size();) {
    const auto [c, length] = decode(text, at);
    present.insert(c);
    any = any || breaks_the_whitespace_test(c);
    at += length;
  }
  if (!any) return std::nullopt;
  // Stand-ins the test answers "no" for: two bytes from U+049A, three from U+4E00 (CJK),
  // none of them in the text already, so swapping back is exact.
  char32_t next_two = 0x49A, next_three = 0x4E00;
  const auto take = [&](std::size_t length) -> std::optional<char32_t> {
    auto& next = length == 2 ? next_two : next_three;
    const char32_t end = length == 2 ? 0x800 : 0xA000;
    while (next < end && present.contains(next)) ++next;
    if (next >= end) return std::nullopt;
    return next++;
  };
  Defused out;
  out.text.reserve(text.size());
  std::map<char32_t, std::string> stand_ins;
  for (std::size_t at = 0; at < text.size();) {
    const auto [c, length] = decode(text, at);
    if (!breaks_the_whitespace_test(c)) {
      out.text.append(text.substr(at, length));
    } else {
      auto it = stand_ins.find(c);
      if (it == stand_ins.end()) {
        const auto stand_in = take(length);
        if (!stand_in) {
          if (too_many != nullptr) *too_many = "too many different non-ASCII characters";
          return std::nullopt;
        }
        it = stand_ins.emplace(c, encode(*stand_in)).first;
        out.swaps.emplace_back(it->second, std::string(text.substr(at, length)));
      }
      out.text.append(it->second);
    }
    at += length;
  }
  return out;
}

} // namespace rlm::config
