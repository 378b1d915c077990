#include "rlm/config/config.hpp"

namespace rlm::config {

const char* to_string(ProviderType type) {
  switch (type) {
  case ProviderType::ollama: return "ollama";
  case ProviderType::deepseek: return "deepseek";
  case ProviderType::openai: return "openai";
  }
  return "?";
}

const char* to_string(Role role) { return role == Role::root ? "root" : "sub"; }

const char* to_string(Think think) {
  switch (think) {
  case Think::off: return "false";
  case Think::on: return "true";
  case Think::low: return "low";
  case Think::medium: return "medium";
  case Think::high: return "high";
  case Think::max: return "max";
  }
  return "?";
}

const char* to_string(BenchMethod method) { return method == BenchMethod::rlm ? "rlm" : "vanilla"; }

const char* to_string(PromptStyle style) {
  switch (style) {
  case PromptStyle::automatic: return "auto";
  case PromptStyle::full: return "full";
  case PromptStyle::compact: return "compact";
  }
  return "?";
}

std::optional<BenchMethod> parse_bench_method(std::string_view name) {
  for (const auto method : k_bench_methods)
    if (name == to_string(method)) return method;
  return std::nullopt;
}

std::string default_base_url(ProviderType type) {
  switch (type) {
  case ProviderType::ollama: return "http://localhost:11434";
  case ProviderType::deepseek: return "https://api.deepseek.com";
  case ProviderType::openai: return "";
  }
  return "";
}

std::string default_api_key_env(ProviderType type) {
  switch (type) {
  case ProviderType::deepseek: return "DEEPSEEK_API_KEY";
  case ProviderType::openai: return "OPENAI_API_KEY";
  case ProviderType::ollama: return "";
  }
  return "";
}

std::optional<std::int64_t> default_max_concurrency(ProviderType type) {
  switch (type) {
  case ProviderType::ollama: return 4;
  case ProviderType::deepseek: return 16;
  case ProviderType::openai: return std::nullopt;
  }
  return std::nullopt;
}

Config built_in_config() {
  Config config;
  for (const auto role : {Role::root, Role::sub}) {
    ProviderConfig provider;
    provider.type = ProviderType::ollama;
    provider.base_url = default_base_url(ProviderType::ollama);
    provider.model = k_default_ollama_model;
    provider.max_concurrency = default_max_concurrency(ProviderType::ollama);
    provider.role = role;
    provider.name = std::string("ollama-") + to_string(role);
    config.providers.push_back(provider);
  }
  return config;
}

} // namespace rlm::config
