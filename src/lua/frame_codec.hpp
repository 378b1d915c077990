// The small schema the worker's messages are written and read with: frames.cpp lists each
// message's fields once (a Schema specialisation), and these templates write them to JSON and
// read them back, refusing a missing field, a field of the wrong type or range, and a field
// the schema does not declare. A reader's problem text is appended to the field's path:
// " is missing", ".offset is missing", "[2].offset is missing".
#pragma once

#include "frame_text.hpp"
#include "frames.hpp"

#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/util/untrusted_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace rlm::lua::frames::codec {

using nlohmann::json;

// Why a value cannot be read, or nothing when it was read.
using Problem = std::optional<std::string>;

// One member of a struct under its JSON name.
template <class S, class T> struct Field {
  std::string_view name;
  T S::*member;
};

// Specialised for each struct that travels: `static constexpr std::tuple fields{Field...}`,
// and optionally `static Problem check(const S&)` for rules across fields.
template <class S> struct Schema;

template <class S>
concept Described = requires {
  Schema<S>::fields;
};

template <class T> struct IsOptional : std::false_type {};
template <class T> struct IsOptional<std::optional<T>> : std::true_type {};

// --- writing --------------------------------------------------------------------------------

inline json write(const std::string& v) { return text::write(v); }
inline json write(bool v) { return v; }
inline json write(double v) { return v; }
inline json write(std::uint64_t v) { return v; }
inline json write(std::int64_t v) { return v; }
inline json write(CellError::Kind v) { return to_string(v); }
inline json write(const QueryResult& v) {
  return v ? json{{"text", text::write(*v)}} : json{{"error", text::write(v.error())}};
}
template <Described S> json write(const S& s);

template <class T> json write(const std::vector<T>& values) {
  json out = json::array();
  for (const auto& v : values) out.push_back(write(v));
  return out;
}

// Writes the fields of `s` into the object `out`; an empty optional is left out.
template <Described S> void write_fields(const S& s, json& out) {
  std::apply(
      [&](const auto&... field) {
        const auto one = [&](const auto& f) {
          const auto& value = s.*(f.member);
          if constexpr (IsOptional<std::remove_cvref_t<decltype(value)>>::value) {
            if (value) out[std::string(f.name)] = write(*value);
          } else {
            out[std::string(f.name)] = write(value);
          }
        };
        (one(field), ...);
      },
      Schema<S>::fields);
}

template <Described S> json write(const S& s) {
  json out = json::object();
  write_fields(s, out);
  return out;
}

// --- reading: the member `key` of `object`, known to be present -----------------------------

// Text: a JSON string, or {"base64": ...} for bytes that are not UTF-8 (frame_text.hpp).
inline Problem read_text(const json* v, std::string& out) {
  auto bytes = v != nullptr ? text::read(*v) : std::nullopt;
  if (!bytes) return " is not a string";
  out = std::move(*bytes);
  return {};
}

inline Problem read(const json& object, std::string_view key, std::string& out) {
  return read_text(json_field::any(object, key), out);
}

inline Problem read(const json& object, std::string_view key, bool& out) {
  const auto v = json_field::boolean(object, key);
  if (!v) return " is not a boolean";
  out = *v;
  return {};
}

// Every number of seconds: finite, 0 to k_max_seconds.
inline Problem read(const json& object, std::string_view key, double& out) {
  const auto v = json_field::number(object, key);
  if (!v || *v < 0 || *v > k_max_seconds) return " is not a number of seconds (0 to 1e9)";
  out = *v;
  return {};
}

inline Problem read(const json& object, std::string_view key, std::uint64_t& out) {
  const auto v = json_field::count(object, key);
  if (!v) return " is not a count";
  out = static_cast<std::uint64_t>(*v);
  return {};
}

inline Problem read(const json& object, std::string_view key, std::int64_t& out) {
  const auto v = json_field::integer(object, key, -k_max_external_count, k_max_external_count);
  if (!v) return " is not a whole number";
  out = *v;
  return {};
}

inline Problem read(const json& object, std::string_view key, CellError::Kind& out) {
  const auto* name = json_field::string(object, key);
  for (const auto kind :
       {CellError::Kind::syntax, CellError::Kind::runtime, CellError::Kind::timeout,
        CellError::Kind::memory, CellError::Kind::too_large, CellError::Kind::crashed,
        CellError::Kind::interrupted, CellError::Kind::aborted}) {
    if (name != nullptr && *name == to_string(kind)) {
      out = kind;
      return {};
    }
  }
  return " is not a kind of cell error";
}

template <Described S> Problem read_fields(const json& object, S& s, std::string_view also = {});
template <Described S> Problem read(const json& object, std::string_view key, S& out);
template <class T> Problem read(const json& object, std::string_view key, std::vector<T>& out);

// One element of an array.
inline Problem read_element(const json& v, std::string& out) { return read_text(&v, out); }

inline Problem read_element(const json& v, QueryResult& out) {
  std::string bytes;
  const bool one = v.is_object() && v.size() == 1;
  if (one && !read_text(json_field::any(v, "text"), bytes)) {
    out = std::move(bytes);
  } else if (one && !read_text(json_field::any(v, "error"), bytes)) {
    out = std::unexpected(std::move(bytes));
  } else {
    return " is not {\"text\": string} or {\"error\": string}";
  }
  return {};
}

template <Described S> Problem read_element(const json& v, S& out) { return read_fields(v, out); }

template <class T> Problem read(const json& object, std::string_view key, std::vector<T>& out) {
  const auto* values = json_field::array(object, key);
  if (values == nullptr) return " is not an array";
  out.clear();
  out.reserve(values->size());
  for (std::size_t i = 0; i < values->size(); ++i) {
    if (auto problem = read_element((*values)[i], out.emplace_back()))
      return "[" + std::to_string(i) + "]" + *problem;
  }
  return {};
}

template <Described S> Problem read(const json& object, std::string_view key, S& out) {
  const auto* value = json_field::any(object, key);
  return value != nullptr ? read_fields(*value, out) : Problem(" is missing");
}

// Reads one field of `s` from `object`: absent is an error unless the field is optional.
template <class S, class T> Problem read_field(const json& object, const Field<S, T>& f, S& s) {
  auto& value = s.*(f.member);
  Problem problem;
  if (json_field::any(object, f.name) == nullptr) {
    if constexpr (IsOptional<T>::value) {
      value.reset();
    } else {
      problem = " is missing";
    }
  } else if constexpr (IsOptional<T>::value) {
    problem = read(object, f.name, value.emplace());
  } else {
    problem = read(object, f.name, value);
  }
  if (problem) return "." + std::string(f.name) + *problem;
  return {};
}

// Every member of `object` must be a field of S (or the one name `also`).
template <Described S> Problem unknown_member(const json& object, std::string_view also) {
  for (const auto& [key, value] : object.items()) {
    const bool known =
        key == also ||
        std::apply([&](const auto&... f) { return ((key == f.name) || ...); }, Schema<S>::fields);
    if (!known) return "." + key + " is unknown";
  }
  return {};
}

// Reads every field of `s` from the object `object`, then the schema's own check.
template <Described S> Problem read_fields(const json& object, S& s, std::string_view also) {
  if (!object.is_object()) return " is not an object";
  if (auto problem = unknown_member<S>(object, also)) return problem;
  Problem problem;
  std::apply([&](const auto&... f) { ((problem = read_field(object, f, s), !problem) && ...); },
             Schema<S>::fields);
  if (problem) return problem;
  if constexpr (requires { Schema<S>::check(s); }) return Schema<S>::check(s);
  return {};
}

} // namespace rlm::lua::frames::codec
