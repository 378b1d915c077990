#include "rlm/config/locate.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>

namespace rlm::config {

namespace {

bool is_file(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// A file the user named explicitly: it must exist, or the command cannot honour the request.
Result<ConfigSource> required(const std::string& path, const std::string& found_by) {
  if (!is_file(path)) {
    std::error_code ec;
    const bool exists = !path.empty() && std::filesystem::exists(path, ec);
    return fail(ErrorKind::usage,
                fmt::format("config file '{}' (from {}) {}", printable(path), found_by,
                            exists ? "is not a regular file" : "does not exist"),
                "check the path, or unset it to use the default lookup (docs/config.md)");
  }
  return ConfigSource{std::filesystem::path(path), found_by};
}

std::optional<std::filesystem::path> user_config_path(const Environment& env) {
  // The XDG base-directory spec ignores relative values of XDG_CONFIG_HOME.
  if (const auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty() && xdg->front() == '/') {
    return std::filesystem::path(*xdg) / "rlm" / "config.toml";
  }
  if (const auto home = env("HOME"); home && !home->empty()) {
    return std::filesystem::path(*home) / ".config" / "rlm" / "config.toml";
  }
  return std::nullopt;
}

} // namespace

Result<ConfigSource> locate_config(const std::optional<std::string>& flag, const Environment& env,
                                   const std::filesystem::path& cwd) {
  if (flag) return required(*flag, "--config");
  if (const auto from_env = env("RLM_CONFIG"); from_env && !from_env->empty()) {
    return required(*from_env, "$RLM_CONFIG");
  }
  if (const auto local = cwd / "rlm.toml"; is_file(local)) return ConfigSource{local, "./rlm.toml"};
  if (const auto user = user_config_path(env); user && is_file(*user)) {
    const bool xdg = env("XDG_CONFIG_HOME").value_or("").starts_with("/");
    return ConfigSource{*user,
                        xdg ? "$XDG_CONFIG_HOME/rlm/config.toml" : "~/.config/rlm/config.toml"};
  }
  return ConfigSource{std::nullopt, "built-in"};
}

} // namespace rlm::config
