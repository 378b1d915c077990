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

std::size_t utf8_characters(std::string_view bytes) {
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  std::size_t continuations = 0;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    // A continuation byte has its top bit set and the next one clear; shifted left by one,
    // each byte's bit 6 lands on its bit 7 (bit 7 leaves for the next byte's bit 0, masked).
    // The marks, moved to each byte's bit 0, summed by one multiply (std::popcount is a
    // library call on baseline x86-64, slower than the byte loop).
    const std::uint64_t marks = (word & ~(word << 1) & high) >> 7;
    continuations += static_cast<std::size_t>((marks * 0x0101010101010101ULL) >> 56);
  }
  for (; i < bytes.size(); ++i)
    continuations += (static_cast<unsigned char>(bytes[i]) & 0xC0) == 0x80 ? 1U : 0U;
  return bytes.size() - continuations;
}

std::size_t count_newlines(std::string_view bytes) {
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  std::size_t count = 0;
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    const std::uint64_t x = word ^ (ones * '\n'); // zero bytes where the newlines are
    // Exact for every byte value: the low seven bits plus 0x7F carry into bit 7 unless they
    // are all zero, and a set bit 7 of x itself means a byte other than '\n'.
    const std::uint64_t zero = ~(((x & ~high) + ~high) | x) & high;
    count += static_cast<std::size_t>(((zero >> 7) * ones) >> 56);
  }
  for (; i < bytes.size(); ++i) count += bytes[i] == '\n' ? 1U : 0U;
  return count;
}

} // namespace rlm
