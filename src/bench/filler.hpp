// Filler prose for the haystacks: sentences about a small harbour town, in paragraphs, so
// a document reads as text rather than noise. The vocabulary never uses the words the
// suites' planted facts use (passphrase, schooner, reports to, works at), so a fact
// appears exactly once.
#pragma once

#include "rlm/bench/random.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rlm::bench {

// Sentences until about `chars` characters; "\n\n" between paragraphs comes at the start of
// a sentence's text. Concatenated, they make the filler.
std::vector<std::string> filler_sentences(Rng& rng, std::size_t chars);

// `sentences` joined, with each fact inserted at the sentence boundary nearest its
// position (0..1 of the whole). Returns the text and each fact's byte offset in it, in the
// order of `facts`.
struct Placed {
  std::string text;
  std::vector<std::size_t> offsets;
};
struct Fact {
  std::string sentence;
  double position = 0.5;
};
Placed place_facts(const std::vector<std::string>& sentences, const std::vector<Fact>& facts);

} // namespace rlm::bench
