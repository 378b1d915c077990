#include "rlm/util/untrusted_json.hpp"

#include "rlm/util/display.hpp"

#include <algorithm>
#include <cmath>

namespace rlm {

using nlohmann::json;

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i; // the escaped character, whatever it is, cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
    case '"': in_string = true; break;
    case '[':
    case '{':
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
      break;
    case ']':
    case '}': depth = std::max(0, depth - 1); break;
    default: break;
    }
  }
  return deepest;
}

std::optional<json> parse_untrusted_json(std::string_view text) {
  if (json_nesting_depth(text) > k_max_json_depth) return std::nullopt;
  auto value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

namespace json_field {

const json* any(const json& value, std::string_view key) {
  if (!value.is_object()) return nullptr;
  const auto it = value.find(key);
  return it == value.end() ? nullptr : &*it;
}

const json* set(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  if (member == nullptr || member->is_null() || (member->is_boolean() && !member->get<bool>()))
    return nullptr;
  return member;
}

const json* object(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  return member != nullptr && member->is_object() ? member : nullptr;
}

const json* array(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  return member != nullptr && member->is_array() ? member : nullptr;
}

const std::string* string(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  return member != nullptr && member->is_string() ? member->get_ptr<const std::string*>() : nullptr;
}

std::optional<bool> boolean(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  if (member == nullptr || !member->is_boolean()) return std::nullopt;
  return member->get<bool>();
}

std::optional<double> number(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  if (member == nullptr || !member->is_number()) return std::nullopt;
  const double d = member->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::int64_t> integer(const json& value, std::string_view key, std::int64_t lowest,
                                    std::int64_t highest) {
  const auto* member = any(value, key);
  if (member == nullptr) return std::nullopt;
  if (member->is_number_unsigned()) {
    const auto u = member->get<std::uint64_t>();
    if (highest < 0 || u > static_cast<std::uint64_t>(highest)) return std::nullopt;
    const auto v = static_cast<std::int64_t>(u);
    return v < lowest ? std::nullopt : std::optional(v);
  }
  if (member->is_number_integer()) {
    const auto v = member->get<std::int64_t>();
    return v < lowest || v > highest ? std::nullopt : std::optional(v);
  }
  if (member->is_number_float()) {
    const double d = member->get<double>();
    // Only doubles well inside int64 convert without undefined behaviour.
    if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) >= 9.0e18) return std::nullopt;
    const auto v = static_cast<std::int64_t>(d);
    return v < lowest || v > highest ? std::nullopt : std::optional(v);
  }
  return std::nullopt;
}

std::optional<std::int64_t> count(const json& value, std::string_view key) {
  const auto* member = any(value, key);
  if (member == nullptr) return std::nullopt;
  if (member->is_number_unsigned()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(
        member->get<std::uint64_t>(), static_cast<std::uint64_t>(k_max_external_count)));
  }
  if (member->is_number_integer()) {
    const auto v = member->get<std::int64_t>();
    return v < 0 ? std::nullopt : std::optional(std::min(v, k_max_external_count));
  }
  if (member->is_number_float()) {
    const double d = member->get<double>();
    if (!std::isfinite(d) || d < 0) return std::nullopt;
    if (d >= static_cast<double>(k_max_external_count)) return k_max_external_count;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

const json* first_object(const json& value, std::string_view key) {
  const auto* list = array(value, key);
  if (list == nullptr || list->empty() || !(*list)[0].is_object()) return nullptr;
  return &(*list)[0];
}

} // namespace json_field

std::string json_brief(const json& value, std::size_t max_bytes) {
  if (value.is_string()) return printable(value.get_ref<const std::string&>(), max_bytes);
  return printable(value.dump(-1, ' ', false, json::error_handler_t::replace), max_bytes);
}

} // namespace rlm
