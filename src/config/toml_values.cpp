#include "toml_values.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/length_spec.hpp"
#include "rlm/util/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace rlm::config {

namespace {

std::string plain_number(double value) { return fmt::format("{}", value); }

// A value of an enumerated key, quoted back only when it reads like a word (a typo worth
// showing), never when it could be a credential pasted into the wrong place.
std::string shown(std::string_view value) {
  const bool word_like =
      !value.empty() && value.size() <= 24 && std::ranges::all_of(value, [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::islower(u) != 0 || std::isdigit(u) != 0 || c == '.' || c == '-' || c == '_' ||
               c == ':';
      });
  if (!word_like || looks_like_secret(value)) return "the value";
  std::string quoted(1, '"'); // not "\"" + string: GCC 12 warns falsely (-Wrestrict) at -O2
  quoted += value;
  quoted += '"';
  return quoted;
}

// A plain decimal number, as a user would mean it inside mistaken quotes ("3", "0.5").
bool plain_decimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  if (text.front() == '-') text.remove_prefix(1);
  const auto digits = std::ranges::count_if(
      text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  const auto dots = std::ranges::count(text, '.');
  return digits > 0 && dots <= 1 && static_cast<std::size_t>(digits + dots) == text.size();
}

Problem wrong_kind(const toml::node& node, std::string_view expected, std::string_view key,
                   std::string_view example) {
  std::string hint = fmt::format("write it as {} = {}", key, example);
  if (const auto* text = node.as_string(); text && plain_decimal(text->get())) {
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
  const auto shown_value = shown(text->get());
  if (const auto match = closest_match(text->get(), names); match && shown_value != "the value") {
    hint = fmt::format("did you mean \"{}\"? (allowed: {})", *match, allowed);
  }
  return std::unexpected(Problem{fmt::format("{} is not allowed", shown_value), hint});
}

bool has_control_characters(std::string_view text) {
  return std::ranges::any_of(text, [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::ranges::equal(text.substr(0, prefix.size()), prefix, [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Reads each item of an array with `read_item`, naming the item's position in errors.
template <class T>
Read<std::vector<T>> read_items(const toml::node& node, std::string_view key,
                                std::string_view example, auto read_item) {
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    return std::unexpected(wrong_kind(node, "a non-empty array", key, example));
  }
  std::vector<T> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto value = read_item((*array)[i]);
    if (!value) {
      auto problem = value.error();
      problem.message = fmt::format("item {}: {}", i + 1, problem.message);
      if (problem.hint.starts_with("write it as") ||
          problem.hint.starts_with("remove the quotes")) {
        problem.hint = fmt::format("write it as {} = {}", key, example);
      }
      return std::unexpected(problem);
    }
    values.push_back(std::move(*value));
  }
  return values;
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
  std::int64_t value = 0;
  if (const auto* integer = node.as_integer()) {
    value = integer->get();
  } else if (const auto* number = node.as_floating_point()) {
    const double x = number->get();
    // 3.0 means 3; 2.5 cannot be a count.
    if (!std::isfinite(x) || x != std::floor(x) || std::fabs(x) > 9e15) {
      return std::unexpected(
          Problem{fmt::format("expected a whole number, found {}", plain_number(x)),
                  fmt::format("write a whole number between {} and {}", rule.min, rule.max)});
    }
    value = static_cast<std::int64_t>(x);
  } else {
    return std::unexpected(wrong_kind(node, "a whole number", key, std::to_string(rule.min)));
  }
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
  if (below || value > rule.max || std::isnan(value)) {
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
  if (text && has_control_characters(*text)) {
    return std::unexpected(Problem{"contains control characters (a line break, tab or escape)",
                                   fmt::format("write {} on one line, as plain text", key)});
  }
  if (text && text->find_first_not_of(' ') == std::string::npos) {
    return std::unexpected(Problem{"must not be empty", fmt::format("give {} a value", key)});
  }
  return text;
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::HttpUrl,
                             std::string_view key) {
  auto url = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (!url) return url;
  const auto example = fmt::format("for example {} = \"http://localhost:11434\"", key);
  std::size_t scheme = 0;
  if (starts_with_ignoring_case(*url, "http://")) scheme = 7;
  if (starts_with_ignoring_case(*url, "https://")) scheme = 8;
  if (scheme == 0) return std::unexpected(Problem{"must start with http:// or https://", example});
  if (url->find_first_of(" \t\r\n") != std::string::npos || has_control_characters(*url)) {
    return std::unexpected(
        Problem{"contains white space or control characters", "remove them from the URL"});
  }
  const auto authority = std::string_view(*url).substr(scheme, url->find('/', scheme) - scheme);
  if (authority.empty()) return std::unexpected(Problem{"has no host name", example});
  // Never echo the URL from here on: these are the shapes that carry credentials.
  if (authority.find('@') != std::string_view::npos) {
    return std::unexpected(
        Problem{"contains a user name or password (user:pass@host)",
                "remove them from the URL; keys come from the environment (api_key_env)"});
  }
  if (url->find_first_of("?#") != std::string::npos) {
    return std::unexpected(Problem{
        "contains a query string or fragment",
        "give only scheme, host, port and path; keys come from the environment (api_key_env)"});
  }
  while (url->size() > scheme + 1 && url->back() == '/') url->pop_back();
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
  // Never echo the value: a common mistake is to paste the key itself here.
  const auto hint =
      fmt::format("name the variable that holds the key, e.g. {} = \"MY_API_KEY\", "
                  "and export MY_API_KEY in your shell; never put the key in the file",
                  key);
  if (!valid_start || !valid_rest) {
    return std::unexpected(
        Problem{"is not an environment variable name (letters, digits and _)", hint});
  }
  if (looks_like_secret(*name)) {
    return std::unexpected(Problem{"looks like an API key, not the name of a variable", hint});
  }
  return name;
}

Read<std::string> read_value(const toml::node& node, As<std::string>, schema::LengthSpec,
                             std::string_view key) {
  auto text = read_value(node, As<std::string>{}, schema::AnyText{}, key);
  if (!text) return text;
  if (!parse_length_spec(*text)) {
    return std::unexpected(
        Problem{"is not a list or range of lengths",
                fmt::format("for example {} = \"4k..128k\" or \"4k,32k,1m\"", key)});
  }
  return text;
}

Read<std::vector<double>> read_value(const toml::node& node, As<std::vector<double>>,
                                     schema::NumberRange rule, std::string_view key) {
  return read_items<double>(node, key, "[0.1, 0.5, 0.9]", [&](const toml::node& item) {
    return read_value(item, As<double>{}, rule, key);
  });
}

Read<std::vector<std::string>> read_value(const toml::node& node, As<std::vector<std::string>>,
                                          schema::FilePaths, std::string_view key) {
  if (const auto* array = node.as_array(); array != nullptr && array->empty())
    return std::vector<std::string>{}; // none, as `config show` writes the default
  return read_items<std::string>(node, key, "[\"tools/dates.lua\"]", [&](const toml::node& item) {
    return read_value(item, As<std::string>{}, schema::NonEmptyText{}, key);
  });
}

Read<std::vector<BenchMethod>> read_value(const toml::node& node, As<std::vector<BenchMethod>>,
                                          schema::Plain, std::string_view key) {
  std::array<std::string_view, std::size(k_bench_methods)> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = to_string(k_bench_methods[i]);
  const auto example = fmt::format("[\"{}\"]", fmt::join(names, "\", \""));
  return read_items<BenchMethod>(node, key, example, [&](const toml::node& item) {
    return choose<BenchMethod>(item, key, names, std::span(k_bench_methods));
  });
}

Read<ProviderType> read_value(const toml::node& node, As<ProviderType>, schema::Plain,
                              std::string_view key) {
  static constexpr std::array<std::string_view, 3> names = {"ollama", "deepseek", "openai"};
  static constexpr std::array values = {ProviderType::ollama, ProviderType::deepseek,
                                        ProviderType::openai};
  return choose<ProviderType>(node, key, names, values);
}

Read<PromptStyle> read_value(const toml::node& node, As<PromptStyle>, schema::Plain,
                             std::string_view key) {
  static constexpr std::array<std::string_view, 3> names = {"auto", "full", "compact"};
  static constexpr std::array values = {PromptStyle::automatic, PromptStyle::full,
                                        PromptStyle::compact};
  return choose<PromptStyle>(node, key, names, values);
}

Read<Role> read_value(const toml::node& node, As<Role>, schema::Plain, std::string_view key) {
  static constexpr std::array<std::string_view, 2> names = {"root", "sub"};
  static constexpr std::array values = {Role::root, Role::sub};
  return choose<Role>(node, key, names, values);
}

// true, false, or a level in quotes, as Ollama's `think` takes it.
Read<Think> read_value(const toml::node& node, As<Think>, schema::Plain, std::string_view key) {
  if (const auto* flag = node.as_boolean()) return flag->get() ? Think::on : Think::off;
  static constexpr std::array<std::string_view, 4> names = {"low", "medium", "high", "max"};
  static constexpr std::array values = {Think::low, Think::medium, Think::high, Think::max};
  const auto* text = node.as_string();
  if (text == nullptr || text->get() == "true" || text->get() == "false") {
    auto problem = wrong_kind(node, "true, false or a level", key, "true");
    problem.hint = text != nullptr ? fmt::format("remove the quotes: {} = {}", key, text->get())
                                   : problem.hint + " (or \"low\", \"medium\", \"high\", \"max\")";
    return std::unexpected(problem);
  }
  auto chosen = choose<Think>(node, key, names, values);
  if (!chosen) chosen.error().hint += ", or true or false";
  return chosen;
}

} // namespace rlm::config
