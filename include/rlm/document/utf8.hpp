// Streaming UTF-8 validation with positions users can find in an editor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rlm::document {

// Where the first problem in a text is: 1-based line and column (in characters), and the
// 0-based byte offset.
struct TextPosition {
  std::uint64_t line = 1;
  std::uint64_t column = 1;
  std::uint64_t offset = 0;
};

struct TextProblem {
  enum class Kind { nul_byte, invalid_utf8 };
  Kind kind;
  TextPosition where;
};

// Validates text fed in pieces of any size (a UTF-8 sequence may straddle two pieces) and
// counts characters and newlines on the way. Rejects NUL bytes: text with them is binary.
class Utf8Scanner {
public:
  // Scans `piece`; returns the first problem, after which the scanner stops accepting.
  std::optional<TextProblem> feed(std::string_view piece);
  // Call at the end: a sequence cut off by the end of the text is a problem too.
  std::optional<TextProblem> finish();

  std::uint64_t characters() const { return m_characters; }
  std::uint64_t newlines() const { return m_newlines; }
  std::uint64_t bytes() const { return m_position.offset; }

private:
  std::optional<TextProblem> fail(TextProblem::Kind kind);

  TextPosition m_position;
  TextPosition m_sequence_start; // where the multi-byte sequence being read began
  std::uint64_t m_characters = 0;
  std::uint64_t m_newlines = 0;
  int m_pending = 0;            // continuation bytes still expected
  unsigned char m_lower = 0x80; // allowed range of the next continuation byte
  unsigned char m_upper = 0xBF;
  bool m_failed = false;
};

// One line describing `problem` in a file named `name`, with the fix.
std::string describe(const TextProblem& problem, std::string_view name);

} // namespace rlm::document
