// Walks a parsed TOML document against the schema: each listed key is read and checked,
// each unlisted key is warned about with a suggestion, and cross-key rules (required keys,
// a root provider, defaults that depend on the provider type) are applied last.
#include "rlm/config/load.hpp"

#include "schema.hpp"
#include "toml_defuse.hpp"
#include "toml_guard.hpp"
#include "toml_values.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace rlm::config {

namespace {

using Severity = Diagnostic::Severity;

// Whether an unknown key's name says it holds a credential (api_key, apiKey, API-KEY,
// DEEPSEEK_API_KEY, access_token, password, ...): those are refused, because keys come only
// from the environment.
bool names_a_credential(std::string_view name) {
  std::string folded;
  for (const char c : name) {
    if (c != '_' && c != '-')
      folded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static constexpr std::string_view words[] = {"apikey", "token",         "secret", "password",
                                               "passwd", "authorization", "bearer", "credential"};
  return folded == "key" || std::ranges::any_of(words, [&](auto word) {
           return folded.find(word) != std::string::npos;
         });
}
constexpr std::uintmax_t k_max_file_bytes = 1024 * 1024;

struct KeyCollector {
  std::vector<std::string_view> keys;
  template <class T, class Rule>
  void operator()(std::string_view key, T& /*member*/, Rule /*rule*/) {
    keys.push_back(key);
  }
};

template <class Target> std::vector<std::string_view> keys_of(auto visit) {
  Target target{};
  KeyCollector collector;
  visit(target, collector);
  return collector.keys;
}

std::vector<std::string_view> top_level_keys() {
  auto keys = keys_of<Config>([](auto& c, auto& v) { schema::visit_top_level(c, v); });
  keys.push_back("providers");
  keys.insert(keys.end(), std::begin(schema::k_sections), std::end(schema::k_sections));
  return keys;
}

std::vector<std::string_view> provider_keys() {
  return keys_of<ProviderConfig>([](auto& p, auto& v) { schema::visit_provider(p, v); });
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::ranges::find(keys, key) != keys.end();
}

// Which table `key` belongs in, when it is a known key written in the wrong place.
std::string home_of(std::string_view key) {
  if (contains(provider_keys(), key)) return "a [[providers]] table";
  std::string home;
  Config probe;
  schema::for_each_section(probe, [&](std::string_view name, auto& section, auto visit) {
    KeyCollector collector;
    visit(section, collector);
    if (home.empty() && contains(collector.keys, key)) home = fmt::format("[{}]", name);
  });
  if (home.empty() && contains(top_level_keys(), key)) home = "the top level, before any [table]";
  return home;
}

class Loader {
public:
  explicit Loader(std::string path) : m_path(std::move(path)) {}

  LoadResult run(std::string_view text) {
    if (const auto hazard = find_parser_hazard(text)) {
      add(Severity::error, hazard->line, "", {hazard->message, hazard->hint});
      return std::move(m_result);
    }
    std::string too_many;
    m_defused = defuse(text, &too_many);
    if (!too_many.empty()) {
      add(Severity::error, 0, "", {too_many, "quote less exotic text in the config"});
      return std::move(m_result);
    }
    toml::table root;
    try {
      root = toml::parse(m_defused ? std::string_view(m_defused->text) : text, m_path);
    } catch (const toml::parse_error& e) {
      const auto line = static_cast<int>(e.source().begin.line);
      add(Severity::error, line, "",
          {fmt::format("invalid TOML: {}", e.description()),
           "fix the syntax on this line (TOML reference: toml.io)"});
      return std::move(m_result);
    }
    if (m_defused) restore_strings(root);
    read_root(root);
    // toml++ visits keys in sorted order; report in the order a reader meets them.
    std::ranges::stable_sort(m_result.diagnostics, {}, &Diagnostic::line);
    return std::move(m_result);
  }

  void add(Severity severity, int line, std::string key, Problem problem) {
    if (m_defused) { // keys and messages quote the file: with its own characters
      key = m_defused->restore(key);
      problem.message = m_defused->restore(problem.message);
    }
    m_result.diagnostics.push_back({severity, m_path, line, std::move(key),
                                    std::move(problem.message), std::move(problem.hint)});
  }

  // Every string value, as the file wrote it (see toml_defuse.hpp).
  void restore_strings(toml::node& node) {
    if (auto* text = node.as_string()) {
      text->get() = m_defused->restore(text->get());
    } else if (auto* array = node.as_array()) {
      for (auto& element : *array) restore_strings(element);
    } else if (auto* table = node.as_table()) {
      for (auto&& [key, value] : *table) restore_strings(value);
    }
  }

  void record(const std::string& key, int line) {
    m_result.config.origins[key] = {Origin::Kind::file, fmt::format("{}:{}", m_path, line)};
  }

private:
  // A schema visitor that reads each listed key present in `table` into its member.
  class FieldReader {
  public:
    FieldReader(Loader& loader, const toml::table& table, std::string prefix)
        : m_loader(loader), m_table(table), m_prefix(std::move(prefix)) {}

    template <class T, class Rule> void operator()(std::string_view key, T& member, Rule rule) {
      const toml::node* node = m_table.get(key);
      if (node == nullptr) return;
      const auto path = m_prefix + std::string(key);
      auto value = read_value(*node, As<T>{}, rule, key);
      if (!value) {
        m_loader.add(Severity::error, line_of(*node), path, value.error());
        return;
      }
      member = std::move(*value);
      m_loader.record(path, line_of(*node));
    }

  private:
    Loader& m_loader;
    const toml::table& m_table;
    std::string m_prefix;
  };

  void read_root(const toml::table& root) {
    Config& config = m_result.config;
    FieldReader top(*this, root, "");
    schema::visit_top_level(config, top);
    schema::for_each_section(config, [&](std::string_view name, auto& section, auto visit) {
      const toml::node* node = root.get(name);
      if (node == nullptr) return;
      const auto* table = node->as_table();
      if (table == nullptr) {
        add(Severity::error, line_of(*node), std::string(name),
            {fmt::format("expected a table, found {}", kind_of(*node)),
             fmt::format("write the settings under a [{}] header", name)});
        return;
      }
      FieldReader reader(*this, *table, std::string(name) + ".");
      visit(section, reader);
      KeyCollector collector;
      visit(section, collector);
      warn_unknown(*table, std::string(name) + ".", collector.keys);
    });
    warn_unknown(root, "", top_level_keys());
    if (const toml::node* providers = root.get("providers")) {
      read_providers(*providers);
    } else {
      config.providers = built_in_config().providers;
    }
  }

  void read_providers(const toml::node& node) {
    const auto* array = node.as_array();
    if (array != nullptr && array->empty()) {
      add(Severity::error, line_of(node), "providers",
          {"is empty", "describe each provider in its own [[providers]] table, or remove the line "
                       "to use the built-in providers"});
      return;
    }
    if (array == nullptr || !array->is_array_of_tables()) {
      const bool single_table = node.is_table();
      add(Severity::error, line_of(node), "providers",
          {fmt::format("expected an array of tables, found {}", kind_of(node)),
           single_table ? "write the header with double brackets: [[providers]]"
                        : "describe each provider in its own [[providers]] table"});
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      read_provider((*array)[i].ref<toml::table>(), i);
    }
    check_providers(line_of(array->front()));
  }

  void read_provider(const toml::table& table, std::size_t index) {
    const auto prefix = fmt::format("providers[{}].", index);
    const int line = line_of(table);
    ProviderConfig provider;
    provider.line = line;
    FieldReader reader(*this, table, prefix);
    schema::visit_provider(provider, reader);
    warn_unknown(table, prefix, provider_keys());

    for (const auto* required : {"provider_type", "model", "role"}) {
      if (table.get(required) == nullptr) {
        add(Severity::error, line, prefix + required,
            {"missing", fmt::format("add {} to this [[providers]] table", example_for(required))});
      }
    }
    apply_type_defaults(table, prefix, provider);
    m_result.config.providers.push_back(std::move(provider));
  }

  static std::string example_for(std::string_view key) {
    if (key == "provider_type") return "provider_type = \"ollama\" (or \"deepseek\", \"openai\")";
    if (key == "role") return "role = \"root\" (or \"sub\")";
    return "model = \"qwen2.5-coder:7b\" (the model name your server knows)";
  }

  void apply_type_defaults(const toml::table& table, const std::string& prefix, ProviderConfig& p) {
    auto& origins = m_result.config.origins;
    const auto type_name = std::string(to_string(p.type));
    if (table.get("base_url") == nullptr) {
      p.base_url = default_base_url(p.type);
      origins[prefix + "base_url"] = {Origin::Kind::built_in, "for " + type_name};
      if (p.base_url.empty() && table.get("provider_type") != nullptr) {
        add(Severity::error, p.line, prefix + "base_url",
            {"missing; an openai provider has no default server",
             "add base_url = \"http://localhost:8080/v1\" (your server's OpenAI-compatible URL)"});
      }
    }
    if (table.get("api_key_env") == nullptr) {
      p.api_key_env = default_api_key_env(p.type);
      origins[prefix + "api_key_env"] = {Origin::Kind::built_in, "for " + type_name};
    } else if (p.type == ProviderType::deepseek && p.api_key_env.empty() &&
               origins.contains(prefix + "api_key_env")) { // read, not rejected
      add(Severity::error, line_of(*table.get("api_key_env")), prefix + "api_key_env",
          {"is empty, but DeepSeek's API needs a key",
           "remove the line to read DEEPSEEK_API_KEY, or name the variable that holds the key"});
    }
    if (table.get("max_concurrency") == nullptr) {
      p.max_concurrency = default_max_concurrency(p.type);
      origins[prefix + "max_concurrency"] = {
          Origin::Kind::built_in, p.type == ProviderType::openai
                                      ? "the server's: llama.cpp's /props total_slots, else 16"
                                      : "for " + type_name};
    }
    if (table.get("name") == nullptr) {
      p.name = fmt::format("{}:{}", type_name, p.model);
      origins[prefix + "name"] = {Origin::Kind::built_in, "provider_type:model"};
    }
  }

  void check_providers(int first_line) {
    auto& providers = m_result.config.providers;
    if (std::ranges::none_of(providers, [](const auto& p) { return p.role == Role::root; })) {
      add(Severity::error, first_line, "providers",
          {"no provider has role = \"root\", so nothing can run the loop",
           "set role = \"root\" on the [[providers]] table of the model that writes the code"});
    }
    // Default names may repeat (two hosts serving one model): number the repeats.
    std::set<std::string> seen;
    std::map<std::string, int> last_suffix;
    for (std::size_t i = 0; i < providers.size(); ++i) {
      auto& p = providers[i];
      const bool named =
          m_result.config.origins[fmt::format("providers[{}].name", i)].kind == Origin::Kind::file;
      if (seen.contains(p.name) && named) {
        add(Severity::error, p.line, fmt::format("providers[{}].name", i),
            {fmt::format("\"{}\" names another provider too", p.name),
             "give each provider its own name"});
      }
      const auto base = p.name;
      int& suffix = last_suffix[base]; // resumes where the previous repeat stopped: linear
      while (!named && seen.contains(p.name)) {
        suffix = std::max(suffix + 1, 2);
        p.name = fmt::format("{}#{}", base, suffix);
      }
      seen.insert(p.name);
    }
  }

  void warn_unknown(const toml::table& table, const std::string& prefix,
                    const std::vector<std::string_view>& known) {
    for (const auto& [key, node] : table) {
      const auto name = key.str();
      if (contains(known, name)) continue;
      const int line = static_cast<int>(key.source().begin.line);
      const auto match = closest_match(name, known);
      // A name that is itself a secret is never shown, not even as the key of a message.
      const auto shown_name = looks_like_secret(name)
                                  ? std::string("(a key that looks like a secret)")
                                  : printable(name, 64);
      if (!match && (names_a_credential(name) || looks_like_secret(name)) && node.is_string()) {
        add(Severity::error, line, prefix + shown_name,
            {"API keys are never read from config files", key_hint(table)});
        continue;
      }
      std::string hint;
      if (match) {
        hint = fmt::format("did you mean \"{}\"?", *match);
      } else if (const auto home = home_of(name); !home.empty()) {
        hint = fmt::format("\"{}\" belongs in {}", name, home);
      } else {
        hint = "remove it, or see docs/config.md for the keys rlm reads";
      }
      add(Severity::warning, line, prefix + shown_name, {"unknown key, ignored", hint});
    }
  }

  // How to provide a key instead, naming the variable this table's provider reads.
  static std::string key_hint(const toml::table& table) {
    std::string variable = "MY_API_KEY";
    if (const auto* env = table.get("api_key_env");
        env && env->is_string() && !env->as_string()->get().empty()) {
      variable = printable(env->as_string()->get(), 64);
    } else if (const auto* type = table.get("provider_type"); type && type->is_string()) {
      if (type->as_string()->get() == "deepseek") variable = "DEEPSEEK_API_KEY";
      if (type->as_string()->get() == "openai") variable = "OPENAI_API_KEY";
    }
    return fmt::format("delete this line and export the key in your shell (export {}=...); "
                       "api_key_env names the variable a provider reads",
                       variable);
  }

  std::optional<Defused> m_defused;
  std::string m_path;
  LoadResult m_result;
};

} // namespace

LoadResult parse_config(std::string_view text, const std::string& display_path) {
  return Loader(display_path).run(text);
}

LoadResult load_config_file(const std::filesystem::path& path) {
  const auto display = path.string();
  auto fail = [&](std::string message, std::string hint) {
    LoadResult result;
    result.diagnostics.push_back(
        {Severity::error, display, 0, "", std::move(message), std::move(hint)});
    return result;
  };
  if (path.empty()) return fail("an empty file name", "name a TOML config file");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return fail(fmt::format("cannot be read: {}", ec.message()),
                "check the path and its permissions");
  }
  if (!std::filesystem::exists(status)) {
    return fail("no such file", "check the path (rlm config show tells which file rlm would use)");
  }
  if (std::filesystem::is_directory(status)) return fail("is a directory", "name a .toml file");
  if (!std::filesystem::is_regular_file(status)) {
    return fail("is not a regular file (a device, pipe or socket)", "name a TOML config file");
  }
  if (std::filesystem::file_size(path, ec) > k_max_file_bytes && !ec) {
    return fail("larger than 1 MiB, too large for a config file", "name a TOML config file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot be read (permission denied?)", "check the file's permissions");
  std::ostringstream text;
  text << in.rdbuf();
  auto result = parse_config(text.str(), display);
  // A relative prompts_dir means "next to this config file", wherever rlm is run from.
  if (auto& dir = result.config.prompts_dir;
      !dir.empty() && std::filesystem::path(dir).is_relative()) {
    dir = (path.parent_path() / dir).lexically_normal().string();
  }
  for (auto& tool : result.config.sandbox.tools) { // so are tool files
    if (std::filesystem::path(tool).is_relative())
      tool = (path.parent_path() / tool).lexically_normal().string();
  }
  return result;
}

std::vector<std::string> all_keys() {
  std::vector<std::string> keys;
  for (const auto key : keys_of<Config>([](auto&c, auto&v) { schema::visit_top_level(c, v); })) {
    keys.emplace_back(key);
  }
  for (const auto key : provider_keys()) keys.push_back("providers." + std::string(key));
  Config probe;
  schema::for_each_section(probe, [&](std::string_view name, auto& section, auto visit) {
    KeyCollector collector;
    visit(section, collector);
    for (const auto key : collector.keys) keys.push_back(fmt::format("{}.{}", name, key));
  });
  return keys;
}

} // namespace rlm::config
