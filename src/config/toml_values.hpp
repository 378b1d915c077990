// Typed reading of one TOML value against a schema rule, with a message and a fix when the
// value does not fit. Never echoes a string value that could be a secret.
#pragma once

#include "schema.hpp"

#include "toml.hpp"

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace rlm::config {

struct Problem {
  std::string message;
  std::string hint;
};

template <class T> using Read = std::expected<T, Problem>;
template <class T> using As = std::type_identity<T>;

// Each overload reads `node` as the member type named by its tag, following the rule.
Read<std::int64_t> read_value(const toml::node& node, As<std::int64_t>, schema::IntRange rule,
                              std::string_view key);
Read<double> read_value(const toml::node& node, As<double>, schema::NumberRange rule,
                        std::string_view key);
Read<bool> read_value(const toml::node& node, As<bool>, schema::Plain, std::string_view key);
Read<std::string> read_value(const toml::node& node, As<std::string>, schema::AnyText,
                             std::string_view key);
Read<std::string> read_value(const toml::node& node, As<std::string>, schema::NonEmptyText,
                             std::string_view key);
Read<std::string> read_value(const toml::node& node, As<std::string>, schema::HttpUrl,
                             std::string_view key);
Read<std::string> read_value(const toml::node& node, As<std::string>, schema::EnvVarName,
                             std::string_view key);
Read<std::string> read_value(const toml::node& node, As<std::string>, schema::LengthSpec,
                             std::string_view key);
Read<std::vector<double>> read_value(const toml::node& node, As<std::vector<double>>,
                                     schema::NumberRange rule, std::string_view key);
Read<std::vector<std::string>> read_value(const toml::node& node, As<std::vector<std::string>>,
                                          schema::FilePaths, std::string_view key);
Read<std::vector<BenchMethod>> read_value(const toml::node& node, As<std::vector<BenchMethod>>,
                                          schema::Plain, std::string_view key);
Read<ProviderType> read_value(const toml::node& node, As<ProviderType>, schema::Plain,
                              std::string_view key);
Read<Role> read_value(const toml::node& node, As<Role>, schema::Plain, std::string_view key);
Read<PromptStyle> read_value(const toml::node& node, As<PromptStyle>, schema::Plain,
                             std::string_view key);
Read<Think> read_value(const toml::node& node, As<Think>, schema::Plain, std::string_view key);

// Optional members read like their value type.
template <class T, class Rule>
Read<T> read_value(const toml::node& node, As<std::optional<T>>, Rule rule, std::string_view key) {
  return read_value(node, As<T>{}, rule, key);
}

// "a string", "an integer", "a table", ... for messages.
std::string kind_of(const toml::node& node);

} // namespace rlm::config
