// Long text the trajectory keeps only the head of (a sub-call's prompt and answer, a thinking
// model's reasoning), cut at a UTF-8 character's boundary, with how much was left out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rlm::loop {

struct RecordedText {
  std::string text;    // at most max_bytes of the start
  std::size_t cut = 0; // bytes left out
};

RecordedText recorded_text(std::string_view text, std::size_t max_bytes);

} // namespace rlm::loop
