#include "rlm/loop/prompts.hpp"

#include "builtin_prompts.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace rlm::loop {

namespace {

Result<> override_from(const std::filesystem::path& dir, const char* name, std::string& text) {
  const auto path = dir / (std::string(name) + ".md");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  if (!in || !(content << in.rdbuf())) {
    return fail(ErrorKind::usage,
                fmt::format("cannot read the prompt file {}", printable(path.string(), 200)),
                "check its permissions, or remove it to use the built-in prompt");
  }
  text = content.str();
  return {};
}

} // namespace

Result<Prompts> load_prompts(const std::string& dir) {
  Prompts prompts{std::string(k_builtin_system), std::string(k_builtin_bypass),
                  std::string(k_builtin_final), std::string(k_builtin_nested),
                  std::string(k_builtin_system_compact)};
  if (dir.empty()) return prompts;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(ErrorKind::usage,
                fmt::format("prompts_dir {} is not a directory", printable(dir, 200)),
                "fix prompts_dir in the config, or remove it to use the built-in prompts");
  }
  const std::pair<const char*, std::string*> files[] = {
      {"system", &prompts.system},
      {"bypass", &prompts.bypass},
      {"final", &prompts.final},
      {"nested", &prompts.nested},
      {"system_compact", &prompts.system_compact}};
  for (const auto& [name, text] : files) {
    if (auto read = override_from(dir, name, *text); !read) return std::unexpected(read.error());
  }
  return prompts;
}

std::string fill(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(at, open - at));
    const auto name = std::string(text.substr(open + 2, close - open - 2));
    const auto it = values.find(name);
    out += it != values.end() ? it->second : std::string(text.substr(open, close + 2 - open));
    at = close + 2;
  }
  out.append(text.substr(at));
  return out;
}

} // namespace rlm::loop
