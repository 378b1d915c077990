#include "toml_values.hpp"

#include "rlm/util/length_spec.hpp"
#include "rlm/util/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace rlm::config {

namespace {

std::string plain_number(double value) { return fmt::format("{}", value); }

// A choice the user typed, shown back only when it is short and cannot be a credential.
std::string shown(std::string_view value) {
  if (value.size() > 40 || value.starts_with("sk-")) return "(value hidden)";
  return "\"" + std::string(value) + "\"";
}

bool looks_numeric(std::string_view text) {
  double ignored = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ignored);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Problem wrong_kind(const toml::node& node, std::string_view expected, std::string_view key,
                   std::string_view example) {
  std::string hint = fmt::format("write it as {} = {}", key, example);
  if (const auto* text = node.as_string(); text && looks_numeric(text->get())) {
    hint = fmt::format("remove the quotes: {} = {}", key, text->get());
  }
  return {fmt::format("expected {}, found {}", expected, kind_of(node)), hint};
}

template <class T>
Read<T> choose(const toml::node& node, std::string_view key,
               std::span<const std::string_view> names, std::span<const T> values) {
  const auto allowed = fmt::format("\"{}\"", fmt::join(names, "\", \""));
  const auto* text = node.as_string();
  if (text == nullptr) {
    return std::unexpected(wrong_kind(node, "a string", key, fmt::format("\"{}\"", names[0])));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (text->get() == names[i]) return values[i];
  }
  std::string hint = fmt::format("use one of {}", allowed);
  if (const auto match = closest_match(text->get(), names)) {
    hint = fmt::format("did you mean \"{}\"? (allowed: {})", *match, allowed);
  }
  return std::unexpected(Problem{fmt::format("{} is not allowed", shown(text->get())), hint});
}

} // namespace

std::string kind_of(const toml::node& node) {
  switch (node.type()) {
  case toml::node_type::string: return "a string";
  case toml::node_type::integer: return "an integer";
  case toml::node_type::floating_point: return "a number with a fraction";
  case toml::node_type::boolean: return "a boolean";
  case toml::node_type::date:
  case toml::node_type::time:
  case toml::node_type::date_time: return "a date or time";
  case toml::node_type::array: return "an array";
  case toml::node_type::table: return "a table";
  case toml::node_type::none: break;
  }
  return "nothing";
}

Read<std::int64_t> read_value(const toml::node& node, As<std::int64_t>, schema::IntRange rule,
                              std::string_view key) {
  const auto* integer = node.as_integer();
  if (integer == nullptr) {
    if (const auto* number = node.as_floating_point()) {
      return std::unexpected(
          Problem{fmt::format("expected a whole number, found {}", plain_number(number->get())),
                  fmt::format("write a whole number between {} and {}", rule.min, rule.max)});
    }
    return std::unexpected(wrong_kind(node, "a whole number", key, std::to_string(rule.min)));
  }
  const auto value = integer->get();
  if (value < rule.min || value > rule.max) {
    return std::unexpected(Problem{fmt::format("{} is out of range", value),
                                   fmt::format("use a value from {} to {}", rule.min, rule.max)});
  }
  return value;
}

Read<double> read_value(const toml::node& node, As<double>, schema::NumberRange rule,
                        std::string_view key) {
  double value = 0;
  if (const auto* integer = node.as_integer()) {
    value = static_cast<double>(integer->get());
  } else if (const auto* number = node.as_floating_point()) {
    value = number->get();
  } else {
    return std::unexpected(
        wrong_kind(node, "a number", key, plain_number(rule.max > 1 ? 1 : rule.max)));
  }
  const bool below = rule.min_exclusive ? value <= rule.min : value < rule.min;
  if (below || value > rule.max || value != value) {
    const auto lower = rule.min_exclusive ? fmt::format("above {}", plain_number(rule.min))
                                          : fmt::format("from {}", plain_number(rule.min));
    return std::unexpected(
        Problem{fmt::format("{} is out of range", plain_number(value)),
                fmt::format("use a number {} to {}", lower, plain_number(rule.max))});
  }
  return value;
}

Read<bool> read_value(const toml::node& node, As<bool>, schema::Plain, std::string_view key) {
  if (const auto* flag = node.as_boolean()) return flag->get();
  auto problem = wrong_kind(node, "true or false", key, "true");
  if (node.is_string())
    problem.hint = fmt::format("remove the quotes: {} = true or {} = false", key, key);
  return std::unexpected(problem);
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::AnyText,
                             std::string_view key) {
  if (const auto* text = node.as_string()) return std::string(text->get());
  return std::unexpected(wrong_kind(node, "a string", key, "\"...\""));
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::NonEmptyText,
                             std::string_view key) {
  auto text = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (text && text->find_first_not_of(" \t") == std::string::npos) {
    return std::unexpected(Problem{"must not be empty", fmt::format("give {} a value", key)});
  }
  return text;
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::HttpUrl,
                             std::string_view key) {
  auto url = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (!url) return url;
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return std::unexpected(
        Problem{"must start with http:// or https://",
                fmt::format("for example {} = \"http://localhost:11434\"", key)});
  }
  if (url->find_first_of(" \t\r\n") != std::string::npos) {
    return std::unexpected(Problem{"contains white space", "remove the spaces from the URL"});
  }
  while (url->size() > 8 && url->back() == '/') url->pop_back();
  return url;
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::EnvVarName,
                             std::string_view key) {
  auto name = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (!name || name->empty()) return name;
  const bool valid_start =
      std::isalpha(static_cast<unsigned char>(name->front())) != 0 || name->front() == '_';
  const bool valid_rest = std::ranges::all_of(
      *name, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
  if (!valid_start || !valid_rest) {
    // Never echo the value: a common mistake is to paste the key itself here.
    return std::unexpected(
        Problem{"is not an environment variable name (letters, digits and _)",
                fmt::format("name the variable that holds the key, e.g. {} = \"MY_API_KEY\", "
                            "and export MY_API_KEY in your shell; never put the key in the file",
                            key)});
  }
  return name;
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::LengthSpec,
                             std::string_view key) {
  auto text = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (!text) return text;
  if (const auto lengths = parse_length_spec(*text); !lengths) {
    return std::unexpected(Problem{
        lengths.error(), fmt::format("for example {} = \"4k..128k\" or \"4k,32k,1m\"", key)});
  }
  return text;
}

Read<std::vector<double>> read_value(const toml::node& node, As<std::vector<double>>,
                                     schema::NumberRange rule, std::string_view key) {
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    return std::unexpected(
        wrong_kind(node, "a non-empty array of numbers", key, "[0.1, 0.5, 0.9]"));
  }
  std::vector<double> values;
  for (const auto& item : *array) {
    auto value = read_value(item, As<double>{}, rule, key);
    if (!value) return std::unexpected(value.error());
    values.push_back(*value);
  }
  return values;
}

Read<std::vector<std::string>> read_value(const toml::node& node, As<std::vector<std::string>>,
                                          schema::ChoiceList rule, std::string_view key) {
  const auto* array = node.as_array();
  const auto example = fmt::format("[\"{}\"]", fmt::join(rule.allowed, "\", \""));
  if (array == nullptr || array->empty()) {
    return std::unexpected(wrong_kind(node, "a non-empty array of strings", key, example));
  }
  std::vector<std::string> values;
  for (const auto& item : *array) {
    auto value = choose<std::string_view>(item, key, rule.allowed, rule.allowed);
    if (!value) return std::unexpected(value.error());
    values.emplace_back(*value);
  }
  return values;
}

Read<ProviderType> read_value(const toml::node& node, As<ProviderType>, schema::Plain,
                              std::string_view key) {
  static constexpr std::array<std::string_view, 3> names = {"ollama", "deepseek", "openai"};
  static constexpr std::array values = {ProviderType::ollama, ProviderType::deepseek,
                                        ProviderType::openai};
  return choose<ProviderType>(node, key, names, values);
}

Read<Role> read_value(const toml::node& node, As<Role>, schema::Plain, std::string_view key) {
  static constexpr std::array<std::string_view, 2> names = {"root", "sub"};
  static constexpr std::array values = {Role::root, Role::sub};
  return choose<Role>(node, key, names, values);
}

} // namespace rlm::config
