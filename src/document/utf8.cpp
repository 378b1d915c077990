#include "rlm/document/utf8.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace rlm::document {

std::optional<TextProblem> Utf8Scanner::fail(TextProblem::Kind kind) {
  m_failed = true;
  return TextProblem{kind, m_pending > 0 ? m_sequence_start : m_position};
}

std::optional<TextProblem> Utf8Scanner::feed(std::string_view piece) {
  if (m_failed) return TextProblem{TextProblem::Kind::invalid_utf8, m_position};
  const auto* p = reinterpret_cast<const unsigned char*>(piece.data());
  const auto* end = p + piece.size();
  while (p < end) {
    // Fast path: eight ASCII bytes without NUL at once, newlines counted in the word.
    if (m_pending == 0 && end - p >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, 8);
      constexpr std::uint64_t high = 0x8080808080808080ULL;
      constexpr std::uint64_t ones = 0x0101010101010101ULL;
      const bool ascii = (word & high) == 0;
      const bool has_zero = ((word - ones) & ~word & high) != 0;
      if (ascii && !has_zero) {
        // In ASCII, adding 0x7F to each byte's low seven bits carries into bit 7 exactly
        // when the byte is not zero: so the top bit of each byte of `newlines` marks a '\n'.
        const std::uint64_t nl = word ^ (ones * '\n');
        const std::uint64_t newlines = ~(((nl & ~high) + ~high) | nl) & high;
        if (newlines == 0) {
          m_position.column += 8;
        } else {
          const auto count = ((newlines >> 7) * ones) >> 56; // (std::popcount is a call)
          // Little-endian: the highest marked bit is the last newline in the text.
          const auto last = static_cast<std::uint64_t>(63 - std::countl_zero(newlines)) / 8;
          m_newlines += count;
          m_position.line += count;
          m_position.column = 1 + (7 - last);
        }
        p += 8;
        m_position.offset += 8;
        m_characters += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (m_pending > 0) {
      if (c < m_lower || c > m_upper) return fail(TextProblem::Kind::invalid_utf8);
      m_lower = 0x80;
      m_upper = 0xBF;
      --m_pending;
    } else if (c == 0) {
      return fail(TextProblem::Kind::nul_byte);
    } else if (c < 0x80) {
      ++m_characters;
      if (c == '\n') {
        ++m_newlines;
        ++m_position.line;
        m_position.column = 0;
      }
    } else {
      // Lead byte: how many continuation bytes follow, and the range the first one must be
      // in to exclude overlong forms, surrogates and code points above U+10FFFF.
      m_sequence_start = m_position;
      if (c >= 0xC2 && c <= 0xDF) {
        m_pending = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        m_pending = 2;
        if (c == 0xE0) m_lower = 0xA0;
        if (c == 0xED) m_upper = 0x9F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        m_pending = 3;
        if (c == 0xF0) m_lower = 0x90;
        if (c == 0xF4) m_upper = 0x8F;
      } else {
        return fail(TextProblem::Kind::invalid_utf8);
      }
      ++m_characters;
    }
    ++p;
    ++m_position.offset;
    if (m_pending == 0) ++m_position.column;
  }
  return std::nullopt;
}

std::optional<TextProblem> Utf8Scanner::finish() {
  if (m_failed) return TextProblem{TextProblem::Kind::invalid_utf8, m_position};
  if (m_pending > 0) return fail(TextProblem::Kind::invalid_utf8);
  return std::nullopt;
}

std::string describe(const TextProblem& problem, std::string_view name) {
  const auto& w = problem.where;
  if (problem.kind == TextProblem::Kind::nul_byte) {
    return fmt::format("{} is a binary file (a NUL byte at line {}, column {}, byte {}); rlm reads "
                       "text: convert it first (for PDFs: pdftotext)",
                       name, w.line, w.column, w.offset);
  }
  return fmt::format("{} is not valid UTF-8 (line {}, column {}, byte {}); convert it, e.g. "
                     "iconv -f latin1 -t utf-8",
                     name, w.line, w.column, w.offset);
}

} // namespace rlm::document
