// Checking and repairing UTF-8 in text from outside (a cell's output, a trajectory file):
// JSON strings must be UTF-8, and nlohmann::json refuses any other bytes.
#pragma once

#include <string>
#include <string_view>

namespace rlm {

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF), the rule nlohmann::json's reader and writer apply.
bool is_utf8(std::string_view bytes);

// The characters in `bytes`: the bytes that are not UTF-8 continuation bytes (10xxxxxx), so
// well-formed text's code points. Eight bytes at a time: the 100 MB document is counted in
// the worker at every start.
std::size_t utf8_characters(std::string_view bytes);

// The '\n' bytes in `bytes`, eight at a time (a 100 MB log has two million lines).
std::size_t count_newlines(std::string_view bytes);

// `bytes` with each byte that does not begin a well-formed sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view bytes);

} // namespace rlm
