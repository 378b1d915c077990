// Parsing of document lengths as users write them: "4k", "1m", "4k..128k", "4k,32k,1m".
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace rlm {

// One length: a whole number with an optional suffix k (×1,024) or m (×1,048,576).
std::expected<std::int64_t, std::string> parse_length(std::string_view text);

// A list ("4k,32k,1m") or a doubling range ("4k..128k": 4k, 8k, ..., 128k, the last
// included even when not a power-of-two step away). Returns the lengths in order, or what
// is wrong with `text`. At most 64 lengths.
std::expected<std::vector<std::int64_t>, std::string> parse_length_spec(std::string_view text);

// The inverse of parse_length for display: 4096 -> "4k", 1048576 -> "1m", 1500 -> "1500".
std::string format_length(std::int64_t length);

} // namespace rlm
