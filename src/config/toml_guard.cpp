#include "toml_guard.hpp"

#include <fmt/format.h>

namespace rlm::config {

namespace {

enum class In { code, comment, basic, literal, multiline_basic, multiline_literal };

bool starts(std::string_view text, std::size_t at, std::string_view what) {
  return text.substr(at, what.size()) == what;
}

// Whether a quote at `at` can open a string: in valid TOML a string follows whitespace, `=`,
// `[`, `{`, `,` or a key's `.`, or starts a line. A quote glued to a bare token (`4'x'`) is
// part of that token to toml++, which then reads what follows as bare text.
bool may_open_string(std::string_view text, std::size_t at) {
  if (at == 0) return true;
  const char before = text[at - 1];
  return before == ' ' || before == '\t' || before == '\n' || before == '\r' || before == '=' ||
         before == '[' || before == '{' || before == ',' || before == '.';
}

// Whether the line from `at` is a table header whose key begins with a dot: `[.`, `[[ .`.
bool header_starts_with_dot(std::string_view text, std::size_t at) {
  auto skip = [&] {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
  };
  skip();
  if (at >= text.size() || text[at] != '[') return false;
  ++at;
  if (at < text.size() && text[at] == '[') ++at;
  skip();
  return at < text.size() && text[at] == '.';
}

} // namespace

std::optional<GuardFinding> find_parser_hazard(std::string_view text) {
  // A NUL, or a byte that UTF-8 never uses, means this is no text file at all.
  int text_line = 1;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') ++text_line;
    if (u == 0) {
      return GuardFinding{text_line, "not a text file (it holds a NUL byte)",
                          "name a TOML file; rlm.toml is plain UTF-8 text"};
    }
    if (u == 0xC0 || u == 0xC1 || u >= 0xF5) {
      return GuardFinding{text_line, fmt::format("not UTF-8 text (a byte 0x{:02X})", u),
                          "save the file as UTF-8"};
    }
  }
  int line = 1;
  int dots = 0;
  In in = In::code;
  bool line_start = true;
  const std::size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0; // a byte-order mark
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start) {
      line_start = false;
      if (in == In::code && header_starts_with_dot(text, i)) {
        return GuardFinding{line, "a table header whose key starts with a dot",
                            "write the table's name, as in [providers] or [sandbox]"};
      }
    }
    if (c == '\n') {
      if (dots > k_max_key_parts) break;
      ++line;
      line_start = true;
      if (in != In::multiline_basic && in != In::multiline_literal) {
        in = In::code; // comments end here; a one-line string cannot go on (toml++ says so)
        dots = 0;
      }
      continue;
    }
    switch (in) {
    case In::comment: break;
    case In::basic:
      if (c == '\\') {
        ++i; // the escaped character cannot end the string
      } else if (c == '"') {
        in = In::code;
      }
      break;
    case In::literal:
      if (c == '\'') in = In::code;
      break;
    case In::multiline_basic:
      if (c == '\\') {
        ++i;
      } else if (starts(text, i, "\"\"\"")) {
        in = In::code;
        i += 2;
      }
      break;
    case In::multiline_literal:
      if (starts(text, i, "'''")) {
        in = In::code;
        i += 2;
      }
      break;
    case In::code:
      if (c == '#') {
        in = In::comment;
      } else if ((c == '"' || c == '\'') && !may_open_string(text, i)) {
        // part of a bare token: what follows is not quoted
      } else if (starts(text, i, "\"\"\"")) {
        in = In::multiline_basic;
        i += 2;
      } else if (starts(text, i, "'''")) {
        in = In::multiline_literal;
        i += 2;
      } else if (c == '"') {
        in = In::basic;
      } else if (c == '\'') {
        in = In::literal;
      } else if (c == '.') {
        ++dots;
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        return GuardFinding{line, "a non-ASCII character outside quotes",
                            "put text in double quotes; keys are plain ASCII letters, digits, _ "
                            "and -"};
      }
      break;
    }
  }
  if (dots > k_max_key_parts) {
    return GuardFinding{line, fmt::format("a key with more than {} dotted parts", k_max_key_parts),
                        "use a shorter key; rlm's keys have at most two parts"};
  }
  return std::nullopt;
}

} // namespace rlm::config
