// Text in the worker's frames, byte for byte. Frames are JSON, whose strings must be UTF-8, but
// a cell's code, its printed output, errors and prompts may hold any bytes (a document's
// Latin-1 line, "\xff" printed on purpose). A string that is valid UTF-8 travels as a JSON
// string; any other as {"base64": "..."}, so neither end ever replaces a byte. (What a model
// reads is made valid in render_for_model, cell_result.hpp.)
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace rlm::lua::frames::text {

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF), the rule nlohmann::json's writer applies.
bool is_utf8(std::string_view bytes);

// `bytes` with each byte that does not begin a well-formed sequence replaced by U+FFFD: the
// text a model is shown.
std::string valid_utf8(std::string_view bytes);

std::string to_base64(std::string_view bytes);
// The bytes of standard, padded base64 `encoded`, or nothing when it is not that.
std::optional<std::string> from_base64(std::string_view encoded);

// `bytes` as a frame value: a JSON string, or {"base64": ...}.
nlohmann::json write(std::string_view bytes);
// The bytes of a frame value written by write(), or nothing when `value` is neither form.
std::optional<std::string> read(const nlohmann::json& value);

} // namespace rlm::lua::frames::text
