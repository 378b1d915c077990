#include "rlm/util/length_spec.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace rlm {

namespace {

constexpr std::size_t k_max_lengths = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

} // namespace

std::expected<std::int64_t, std::string> parse_length(std::string_view text) {
  text = trim(text);
  const std::string original(text);
  std::int64_t multiplier = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) {
    multiplier = 1024;
    text.remove_suffix(1);
  } else if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) {
    multiplier = 1024 * 1024;
    text.remove_suffix(1);
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::unexpected("'" + original + "' is not a length like 4k, 32768 or 1m");
  }
  if (value > std::numeric_limits<std::int64_t>::max() / multiplier / 2) {
    return std::unexpected("length '" + original + "' is too large");
  }
  return value * multiplier;
}

std::expected<std::vector<std::int64_t>, std::string> parse_length_spec(std::string_view text) {
  std::vector<std::int64_t> lengths;
  if (const auto dots = text.find(".."); dots != std::string_view::npos) {
    const auto first = parse_length(text.substr(0, dots));
    const auto last = parse_length(text.substr(dots + 2));
    if (!first) return std::unexpected(first.error());
    if (!last) return std::unexpected(last.error());
    if (*first > *last)
      return std::unexpected("range '" + std::string(trim(text)) + "' runs backwards");
    for (auto n = *first; n < *last && lengths.size() < k_max_lengths; n *= 2) lengths.push_back(n);
    lengths.push_back(*last);
  } else {
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      const auto piece =
          text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
      const auto length = parse_length(piece);
      if (!length) return std::unexpected(length.error());
      lengths.push_back(*length);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  if (lengths.size() > k_max_lengths) return std::unexpected("more than 64 lengths");
  return lengths;
}

std::string format_length(std::int64_t length) {
  if (length > 0 && length % (1024 * 1024) == 0)
    return std::to_string(length / (1024 * 1024)) + "m";
  if (length > 0 && length % 1024 == 0) return std::to_string(length / 1024) + "k";
  return std::to_string(length);
}

} // namespace rlm
