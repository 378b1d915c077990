// The first user message of an RLM run: what the document is (size, files, a preview), the
// budgets, and the question. The document itself never enters the prompt.
#pragma once

#include "rlm/document/document_set.hpp"
#include "rlm/util/display.hpp"

#include <cstdint>
#include <string>

namespace rlm::loop {

struct Budgets {
  std::int64_t max_iterations = 20;
  std::int64_t max_sub_calls = 50;
};

// `preview_chars` characters from the start of the document (and the end, for long ones).
std::string briefing(const document::DocumentSet& documents, const std::string& query,
                     const Budgets& budgets, std::size_t preview_chars = 600);

// At most `max_bytes` of `text`, never cutting a UTF-8 character; from the end when
// `from_end`.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);
std::string utf8_suffix(std::string_view text, std::size_t max_bytes);

} // namespace rlm::loop
