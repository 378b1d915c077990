#include "toml_guard.hpp"

#include <fmt/format.h>

#include <vector>

namespace rlm::config {

namespace {

bool starts(std::string_view text, std::size_t at, std::string_view what) {
  return text.substr(at, what.size()) == what;
}

// A NUL, or a byte that UTF-8 never uses, means this is no text file at all.
std::optional<GuardFinding> not_text(std::string_view text) {
  int line = 1;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') ++line;
    if (u == 0) {
      return GuardFinding{line, "not a text file (it holds a NUL byte)",
                          "name a TOML file; rlm.toml is plain UTF-8 text"};
    }
    if (u == 0xC0 || u == 0xC1 || u >= 0xF5) {
      return GuardFinding{line, fmt::format("not UTF-8 text (a byte 0x{:02X})", u),
                          "save the file as UTF-8"};
    }
  }
  return std::nullopt;
}

// Reads TOML's lexical structure as far as the hazards need: strings (basic with escapes,
// literal, both multi-line forms), comments, and where keys stand (a line's start, a table
// header, an inline table after `{` or `,`) as opposed to values, whose dots (0.5, 1e-3)
// are not key parts.
class Scanner {
public:
  explicit Scanner(std::string_view text)
      : m_text(text), m_at(text.starts_with("\xEF\xBB\xBF") ? 3 : 0), m_line_start(m_at) {}

  std::optional<GuardFinding> run() {
    for (; m_at < m_text.size(); ++m_at) {
      if (m_at == m_line_start && m_in == In::code && m_brackets.empty() &&
          header_without_a_name()) {
        return GuardFinding{m_line, "a table header that does not start with a name",
                            "write the table's name, as in [providers] or [sandbox]"};
      }
      const char c = m_text[m_at];
      if (c == '\n') {
        if (m_dots > k_max_key_parts) break;
        new_line();
        continue;
      }
      if (auto finding = step(c)) return finding;
    }
    if (m_dots > k_max_key_parts) {
      return GuardFinding{m_line,
                          fmt::format("a key with more than {} dotted parts", k_max_key_parts),
                          "use a shorter key; rlm's keys have at most two parts"};
    }
    return std::nullopt;
  }

private:
  enum class In { code, comment, basic, literal, multiline_basic, multiline_literal };

  void new_line() {
    ++m_line;
    m_line_start = m_at + 1;
    if (m_in == In::multiline_basic || m_in == In::multiline_literal) return;
    m_in = In::code; // comments end here; a one-line string cannot go on (toml++ says so)
    m_dots = 0;
    if (m_brackets.empty()) m_key = true; // a new line starts with a key (or a header)
  }

  // Whether the line from here is a table header whose first character is no key's: `[.`,
  // `[[ ~`, `[#`. toml++ 3.3.0 asserts that it is one (upstream PR #301).
  bool header_without_a_name() const {
    auto at = m_at;
    const auto skip = [&] {
      while (at < m_text.size() && (m_text[at] == ' ' || m_text[at] == '\t')) ++at;
    };
    skip();
    if (at >= m_text.size() || m_text[at] != '[') return false;
    ++at;
    if (at < m_text.size() && m_text[at] == '[') ++at;
    skip();
    if (at >= m_text.size()) return false;
    const char c = m_text[at];
    const bool key_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-';
    return !key_char && c != '"' && c != '\'' && c != ']';
  }

  // Whether a quote here can open a string: in valid TOML a string follows whitespace, `=`,
  // `[`, `{`, `,` or a key's `.`, or starts a line. A quote glued to a bare token (`4'x'`)
  // is part of that token to toml++, which then reads what follows as bare text.
  bool may_open_string() const {
    if (m_at == m_line_start) return true;
    const char before = m_text[m_at - 1];
    return before == ' ' || before == '\t' || before == '\r' || before == '=' || before == '[' ||
           before == '{' || before == ',' || before == '.';
  }

  // A backslash in a basic string: before a non-ASCII character (after any blanks, for a
  // line-ending backslash) it is no TOML escape, said plainly. Else the escape skips the
  // next character, but never a newline, so the line count holds.
  std::optional<GuardFinding> escape() {
    auto next = m_at + 1;
    while (next < m_text.size() && (m_text[next] == ' ' || m_text[next] == '\t')) ++next;
    if (next < m_text.size() && static_cast<unsigned char>(m_text[next]) >= 0x80) {
      return GuardFinding{m_line, "a backslash before a non-ASCII character in a string",
                          "write the character without the backslash (TOML escapes are \\n, "
                          "\\t, \\\", \\\\, \\uXXXX and the like)"};
    }
    if (m_at + 1 < m_text.size() && m_text[m_at + 1] != '\n') ++m_at;
    return std::nullopt;
  }

  std::optional<GuardFinding> step(char c) {
    static constexpr std::string_view three_double = "\"\"\"";
    static constexpr std::string_view three_single = "'''";
    switch (m_in) {
    case In::comment: break;
    case In::basic:
      if (c == '\\') {
        if (auto finding = escape()) return finding;
      } else if (c == '"') {
        m_in = In::code;
      }
      break;
    case In::literal:
      if (c == '\'') m_in = In::code;
      break;
    case In::multiline_basic:
      if (c == '\\') {
        if (auto finding = escape()) return finding;
      } else if (starts(m_text, m_at, three_double)) {
        m_in = In::code;
        m_at += 2;
      }
      break;
    case In::multiline_literal:
      if (starts(m_text, m_at, three_single)) {
        m_in = In::code;
        m_at += 2;
      }
      break;
    case In::code:
      if (c == '#') {
        m_in = In::comment;
      } else if ((c == '"' || c == '\'') && !may_open_string()) {
        // part of a bare token: what follows is not quoted
      } else if (starts(m_text, m_at, three_double)) {
        m_in = In::multiline_basic;
        m_at += 2;
      } else if (starts(m_text, m_at, three_single)) {
        m_in = In::multiline_literal;
        m_at += 2;
      } else if (c == '"') {
        m_in = In::basic;
      } else if (c == '\'') {
        m_in = In::literal;
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        return GuardFinding{m_line, "a non-ASCII character outside quotes",
                            "put text in double quotes; keys are plain ASCII letters, digits, _ "
                            "and -"};
      } else {
        structure(c);
      }
      break;
    }
    return std::nullopt;
  }

  bool opens_array_of_tables() const {
    return m_brackets.size() == 1 && m_brackets.back() == 'h' && m_text[m_at - 1] == '[';
  }

  // Keys and values: brackets, `=`, `,` and the dots of keys.
  void structure(char c) {
    switch (c) {
    case '.':
      if (m_key) ++m_dots;
      break;
    case '=': m_key = false; break;
    case '[':
      // Where a key stands, at the top, a table header (its name is a key), and the second
      // bracket of an array-of-tables header `[[` too; else an array.
      m_brackets.push_back((m_key && m_brackets.empty()) || opens_array_of_tables() ? 'h' : '[');
      if (m_brackets.back() == '[') m_key = false;
      break;
    case '{':
      m_brackets.push_back('{');
      m_key = true;
      break;
    case ',': m_key = !m_brackets.empty() && m_brackets.back() == '{'; break;
    case ']':
    case '}':
      if (!m_brackets.empty()) m_brackets.pop_back();
      m_key = false;
      break;
    default: break;
    }
  }

  std::string_view m_text;
  std::size_t m_at;
  std::size_t m_line_start;
  int m_line = 1;
  int m_dots = 0;
  In m_in = In::code;
  bool m_key = true;
  std::vector<char> m_brackets; // 'h' a table header, '[' an array, '{' an inline table
};

} // namespace

std::optional<GuardFinding> find_parser_hazard(std::string_view text) {
  if (auto finding = not_text(text)) return finding;
  return Scanner(text).run();
}

} // namespace rlm::config
