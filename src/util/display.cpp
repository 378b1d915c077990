#include "rlm/util/display.hpp"

#include <array>
#include <cctype>

#include <fmt/format.h>

namespace rlm {

bool looks_like_secret(std::string_view text) {
  static constexpr std::array<std::string_view, 12> prefixes = {
      "sk-",   "sk_",   "ghp_", "gho_", "ghs_", "github_pat_",
      "xoxb-", "xoxp-", "AKIA", "AIza", "hf_",  "glpat-"};
  for (const auto prefix : prefixes) {
    const bool long_enough = text.size() >= prefix.size() + 8;
    if (long_enough && text.substr(0, prefix.size()) == prefix) return true;
  }
  if (text.size() < 24) return false;
  bool letter = false;
  bool digit = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) != 0) return false;
    letter = letter || std::isalpha(u) != 0;
    digit = digit || std::isdigit(u) != 0;
  }
  return letter && digit;
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= max_bytes) {
      // Never end inside a UTF-8 character: drop a partial sequence at the cut.
      std::size_t keep = out.size();
      while (keep > 0 && (static_cast<unsigned char>(out[keep - 1]) & 0xC0) == 0x80) --keep;
      if (keep > 0 && static_cast<unsigned char>(out[keep - 1]) >= 0xC0) {
        const auto lead = static_cast<unsigned char>(out[keep - 1]);
        const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (out.size() - (keep - 1) < length) out.resize(keep - 1);
      }
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.size() < 8) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "<redacted>");
  return text;
}

std::string quoted_for_display(std::string_view text) {
  if (looks_like_secret(text)) return "(value hidden)";
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + string at -O2.
  std::string quoted(1, '"');
  quoted += printable(text, 40);
  quoted += '"';
  return quoted;
}

} // namespace rlm
