#include "recorded_text.hpp"

#include "rlm/loop/briefing.hpp"

namespace rlm::loop {

RecordedText recorded_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return {std::string(text), 0};
  auto kept = utf8_prefix(text, max_bytes);
  const auto cut = text.size() - kept.size();
  return {std::move(kept), cut};
}

} // namespace rlm::loop
