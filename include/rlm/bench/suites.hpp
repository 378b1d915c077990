// The bench suites: each makes a document, a question and its expected answer from a few
// parameters, deterministically (the same parameters give byte-identical documents).
// Lengths are in tokens at k_chars_per_token characters each.
#pragma once

#include "rlm/bench/scoring.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::bench {

// The ratio used to turn a length in tokens into characters: English prose runs at about
// 4 characters per token with the tokenizers of Llama, Qwen and DeepSeek models.
inline constexpr std::int64_t k_chars_per_token = 4;

struct SuiteInfo {
  std::string_view name;
  bool uses_positions; // whether --positions places the facts (else one task per trial)
  std::string_view summary;
};
std::span<const SuiteInfo> suites();
const SuiteInfo* find_suite(std::string_view name);
// The suites' names in their documented order: niah, multifact, aggregate, multihop.
std::vector<std::string> suite_names();

// One document to generate. `position` (0..1) is where the fact sits, for suites that use it.
struct TaskSpec {
  std::string suite;
  std::int64_t length_tokens = 0;
  std::optional<double> position;
  std::int64_t trial = 0;
  std::int64_t seed = 0;
};

struct Task {
  std::string document;
  std::string query;
  std::string expected;
  Scorer scorer = Scorer::contains;
  std::vector<std::string> wrong; // answers that score 0 even beside the right one
  // The sentences planted in the filler and the byte offset of each (for tests).
  std::vector<std::string> facts;
  std::vector<std::size_t> fact_offsets;
};

// Throws std::invalid_argument for an unknown suite or a length under 1k tokens.
Task generate(const TaskSpec& spec);

} // namespace rlm::bench
