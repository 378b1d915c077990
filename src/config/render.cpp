#include "rlm/config/render.hpp"

#include "schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rlm::config {

namespace {

constexpr std::size_t k_comment_column = 44;

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string literal(std::int64_t value) { return std::to_string(value); }
std::string literal(bool value) { return value ? "true" : "false"; }
std::string literal(const std::string& value) { return toml_string(value); }
std::string literal(ProviderType value) { return toml_string(to_string(value)); }
std::string literal(Role value) { return toml_string(to_string(value)); }
std::string literal(PromptStyle value) { return toml_string(to_string(value)); }
std::string literal(BenchMethod value) { return toml_string(to_string(value)); }
std::string literal(Think value) {
  return value == Think::on || value == Think::off ? to_string(value)
                                                   : toml_string(to_string(value));
}
std::string literal(double value) {
  auto text = fmt::format("{}", value);
  if (std::isfinite(value) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}
template <class T> std::string literal(const std::vector<T>& values) {
  std::vector<std::string> items;
  for (const auto& v : values) items.push_back(literal(v));
  return fmt::format("[{}]", fmt::join(items, ", "));
}

class LineWriter {
public:
  LineWriter(std::string& out, const Config& config, std::string prefix)
      : m_out(out), m_config(config), m_prefix(std::move(prefix)) {}

  template <class T, class Rule>
  void operator()(std::string_view key, const T& value, Rule /*rule*/) {
    if constexpr (requires { value.has_value(); }) {
      if (!value) {
        line(fmt::format("# {} = (not set)", key), origin(key));
        return;
      }
      line(fmt::format("{} = {}", key, literal(*value)), origin(key));
    } else {
      line(fmt::format("{} = {}", key, literal(value)), origin(key));
    }
  }

  void line(const std::string& text, const std::string& comment) {
    m_out += fmt::format("{:<{}}# {}\n", text, k_comment_column - 1, comment);
  }

private:
  std::string origin(std::string_view key) const {
    const auto it = m_config.origins.find(m_prefix + std::string(key));
    if (it == m_config.origins.end()) return "default";
    if (it->second.kind == Origin::Kind::file) return it->second.where;
    return it->second.where.empty() ? "default" : "default (" + it->second.where + ")";
  }

  std::string& m_out;
  const Config& m_config;
  std::string m_prefix;
};

void render_key_status(LineWriter& writer, const ProviderConfig& p, const Environment& env) {
  if (p.api_key_env.empty()) return;
  const auto value = env(p.api_key_env);
  if (value && !value->empty()) {
    writer.line("# api key: set (redacted)", "environment: $" + p.api_key_env);
  } else if (p.type == ProviderType::deepseek) {
    writer.line("# api key: MISSING", fmt::format("export {}=... before using it", p.api_key_env));
  } else {
    writer.line("# api key: none",
                fmt::format("${} is not set; fine for local servers", p.api_key_env));
  }
}

} // namespace

std::string render_config(const Config& config, const ConfigSource& source,
                          const Environment& env) {
  std::string out;
  if (source.path) {
    out += fmt::format("# rlm configuration from {} (found by {})\n", source.path->string(),
                       source.found_by);
  } else {
    out += "# rlm built-in configuration (no config file found; docs/config.md lists where rlm "
           "looks)\n";
  }
  LineWriter top(out, config, "");
  schema::visit_top_level(config, top);
  schema::for_each_section(config, [&](std::string_view name, const auto& section, auto visit) {
    out += fmt::format("\n[{}]\n", name);
    LineWriter writer(out, config, std::string(name) + ".");
    visit(section, writer);
  });
  for (std::size_t i = 0; i < config.providers.size(); ++i) {
    const auto& provider = config.providers[i];
    out += "\n[[providers]]\n";
    LineWriter writer(out, config, fmt::format("providers[{}].", i));
    schema::visit_provider(provider, writer);
    render_key_status(writer, provider, env);
  }
  if (std::ranges::none_of(config.providers, [](const auto& p) { return p.role == Role::sub; })) {
    out += "\n# no \"sub\" provider: the root providers also serve llm_query() sub-calls\n";
  }
  return out;
}

} // namespace rlm::config
