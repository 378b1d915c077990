// A ChatResponse as the call cache stores it (JSON text), and back. The file is read as
// untrusted: an entry that is not what rlm wrote reads as a miss.
#pragma once

#include "rlm/providers/provider.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rlm::providers {

std::string encode_cached_answer(const ChatResponse& response);
// The answer, marked cached; nothing when `text` is not an entry rlm wrote.
std::optional<ChatResponse> decode_cached_answer(std::string_view text);

} // namespace rlm::providers
