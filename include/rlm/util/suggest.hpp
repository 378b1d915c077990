// "Did you mean" suggestions for misspelled names (config keys, provider types, commands).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rlm {

// The candidate closest to `word` by edit distance (case-insensitive), if it is close
// enough to be a plausible typo: at most 1 edit for short words, at most a third of the
// length for longer ones. Ties go to the earliest candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

// Edit distance between `a` and `b` (a swap of neighbours counts as one edit), ignoring
// ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace rlm
