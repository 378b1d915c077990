// How an answer is scored against the expected one, 0..1. Every scorer first normalises
// both: lower case, punctuation to spaces, runs of spaces collapsed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::bench {

enum class Scorer {
  exact,    // 1 when the normalised answer equals the expected one
  contains, // 1 when the expected words appear, whole, in the answer
  numeric,  // the last number in the answer against the expected: 0.75^|difference|, as OOLONG
  set_f1,   // F1 of the answer's list items against the expected items
};

const char* to_string(Scorer scorer);
std::optional<Scorer> scorer_from_string(std::string_view name);

// `wrong`: answers that must not appear (contains only): the trap of a multi-hop task, so
// naming every city in the document does not score. A `contains` answer of more than
// k_max_contains_words words scores 0 too: the whole document is not an answer.
double score(Scorer scorer, std::string_view answer, std::string_view expected,
             const std::vector<std::string>& wrong = {});
inline constexpr std::size_t k_max_contains_words = 60;

// Exposed for tests.
std::string normalize(std::string_view text);
std::optional<double> last_number(std::string_view text);
std::vector<std::string> list_items(std::string_view text); // normalised, distinct, in order

} // namespace rlm::bench
