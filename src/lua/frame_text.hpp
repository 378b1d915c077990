// Text in the worker's frames, byte for byte. Frames are JSON, whose strings must be UTF-8, but
// a cell's code, its printed output, errors and prompts may hold any bytes (a document's
// Latin-1 line, "\xff" printed on purpose). A string that is valid UTF-8 travels as a JSON
// string; any other as {"base64": "..."}, so neither end ever replaces a byte. (What a model
// reads is made valid in render_for_model, cell_result.hpp.)
#pragma once

#include "rlm/util/utf8_text.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace rlm::lua::frames::text {

using rlm::is_utf8;    // util/utf8_text.hpp
using rlm::valid_utf8; // the text a model is shown

std::string to_base64(std::string_view bytes);
// The bytes of standard, padded base64 `encoded`, or nothing when it is not that.
std::optional<std::string> from_base64(std::string_view encoded);

// `bytes` as a frame value: a JSON string, or {"base64": ...}.
nlohmann::json write(std::string_view bytes);
// The bytes of a frame value written by write(), or nothing when `value` is neither form.
std::optional<std::string> read(const nlohmann::json& value);

} // namespace rlm::lua::frames::text
