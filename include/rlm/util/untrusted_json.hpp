// JSON that came from outside rlm (a server's reply, a results file someone shared, the Lua
// worker's frames) is read here and only here. Parsing refuses text nested deeper than
// k_max_json_depth, because copying, dumping or destroying a deeply nested value recurses in
// nlohmann::json and a hostile reply would overflow the stack. Fields are read through typed
// accessors that check the type and range of each value and never throw: a field of the
// wrong type reads as absent.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rlm {

inline constexpr int k_max_json_depth = 64;

// The largest count (tokens, bytes, lines) rlm takes from outside: 2^53, the largest whole
// number a double holds exactly. Larger values are clamped to it, so sums cannot overflow.
inline constexpr std::int64_t k_max_external_count = std::int64_t{1} << 53;

// The nesting depth of JSON text, found by scanning (strings and their escapes skipped);
// stops counting once past `limit`.
int json_nesting_depth(std::string_view text, int limit = k_max_json_depth);

// The value, or nothing when `text` is not JSON or is nested deeper than k_max_json_depth.
std::optional<nlohmann::json> parse_untrusted_json(std::string_view text);

namespace json_field {

// The member `key` of `value`, or null when `value` is not an object or has no such member.
const nlohmann::json* any(const nlohmann::json& value, std::string_view key);
// The same, unless the member is null or false (serializers that write every field send
// `"error": null` on good replies).
const nlohmann::json* set(const nlohmann::json& value, std::string_view key);
const nlohmann::json* object(const nlohmann::json& value, std::string_view key);
const nlohmann::json* array(const nlohmann::json& value, std::string_view key);
const std::string* string(const nlohmann::json& value, std::string_view key);
std::optional<bool> boolean(const nlohmann::json& value, std::string_view key);
// A finite number.
std::optional<double> number(const nlohmann::json& value, std::string_view key);
// A whole number within [lowest, highest]: an integer, or a float with no fraction; values
// out of range read as absent.
std::optional<std::int64_t> integer(const nlohmann::json& value, std::string_view key,
                                    std::int64_t lowest, std::int64_t highest);
// A count: a whole number >= 0, clamped to k_max_external_count (a server that reports 1e30
// tokens gets the largest count, not undefined behaviour). Negative or not a number: absent.
std::optional<std::int64_t> count(const nlohmann::json& value, std::string_view key);

// The first element of the array `key`, when it is an object.
const nlohmann::json* first_object(const nlohmann::json& value, std::string_view key);

} // namespace json_field

// A value for an error message: a string as it is, anything else as compact JSON; control
// characters escaped and cut to `max_bytes`, as printable() does.
std::string json_brief(const nlohmann::json& value, std::size_t max_bytes = 300);

} // namespace rlm
