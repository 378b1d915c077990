#include "rlm/util/utf8_text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace rlm {

namespace {

// The length of the UTF-8 sequence that starts at bytes[i], or 0 when none does.
std::size_t sequence_length(std::string_view bytes, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char lower = 0x80;
  unsigned char upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    length = 4;
  else
    return 0;
  if (lead == 0xE0) lower = 0xA0; // overlong
  if (lead == 0xED) upper = 0x9F; // surrogates
  if (lead == 0xF0) lower = 0x90; // overlong
  if (lead == 0xF4) upper = 0x8F; // past U+10FFFF
  if (bytes.size() - i < length) return 0;
  if (byte(i + 1) < lower || byte(i + 1) > upper) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

} // namespace

bool is_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto length = sequence_length(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string valid_utf8(std::string_view bytes) {
  if (is_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  for (std::size_t i = 0; i < bytes.size();) {
    const auto length = sequence_length(bytes, i);
    out += length == 0 ? std::string_view("\xEF\xBF\xBD") : bytes.substr(i, length);
    i += std::max<std::size_t>(length, 1);
  }
  return out;
}

namespace {

constexpr std::uint64_t k_high = 0x8080808080808080ULL; // bit 7 of each byte
constexpr std::uint64_t k_ones = 0x0101010101010101ULL;

// How many bytes of `bytes` are marked: `word_marks` sets bit 7 of each marked byte of an
// 8-byte word, `is_marked` decides the bytes of the tail. The marks, moved to each byte's
// bit 0, are summed by one multiply (std::popcount is a library call on baseline x86-64,
// slower than a byte loop).
std::size_t count_marked(std::string_view bytes, auto word_marks, auto is_marked) {
  std::size_t count = 0;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    count += static_cast<std::size_t>((((word_marks(word) & k_high) >> 7) * k_ones) >> 56);
  }
  for (; i < bytes.size(); ++i) count += is_marked(static_cast<unsigned char>(bytes[i])) ? 1U : 0U;
  return count;
}

} // namespace

std::size_t utf8_characters(std::string_view bytes) {
  // A continuation byte has its top bit set and the next one clear; shifted left by one,
  // each byte's bit 6 lands on its bit 7 (bit 7 leaves for the next byte's bit 0, masked).
  const auto continuations = count_marked(
      bytes, [](std::uint64_t w) { return w & ~(w << 1); },
      [](unsigned char c) { return (c & 0xC0) == 0x80; });
  return bytes.size() - continuations;
}

std::size_t count_newlines(std::string_view bytes) {
  return count_marked(
      bytes,
      [](std::uint64_t w) {
        const std::uint64_t x = w ^ (k_ones * '\n'); // zero bytes where the newlines are
        // Exact for every byte value: the low seven bits plus 0x7F carry into bit 7 unless
        // they are all zero, and a set bit 7 of x itself means a byte other than '\n'.
        return ~(((x & ~k_high) + ~k_high) | x);
      },
      [](unsigned char c) { return c == '\n'; });
}

} // namespace rlm
