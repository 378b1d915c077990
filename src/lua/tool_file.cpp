#include "rlm/lua/tool_file.hpp"

#include "rlm/document/utf8.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace rlm::lua {

namespace {

Error tool_error(std::string message, std::string hint) {
  return {ErrorKind::usage, std::move(message), std::move(hint)};
}

Result<ToolFile> read_tool_file(const std::string& path) {
  const auto shown = printable(path, 200);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(tool_error(
        fmt::format("cannot read the tool file {}: {}", shown, std::strerror(errno)),
        "check the path in [sandbox] tools or --tools (relative paths in a config file are "
        "relative to that file)"));
  }
  ToolFile tool{path, {}};
  tool.source.resize(k_max_tool_file_bytes + 1);
  in.read(tool.source.data(), static_cast<std::streamsize>(tool.source.size()));
  if (in.bad()) {
    return std::unexpected(
        tool_error(fmt::format("cannot read the tool file {}", shown), "check the file"));
  }
  tool.source.resize(static_cast<std::size_t>(in.gcount()));
  if (tool.source.size() > k_max_tool_file_bytes) {
    return std::unexpected(tool_error(
        fmt::format("the tool file {} is over the {} KB limit", shown, k_max_tool_file_bytes >> 10),
        "split it into smaller files"));
  }
  document::Utf8Scanner scanner;
  auto problem = scanner.feed(tool.source);
  if (!problem) problem = scanner.finish();
  if (problem) {
    return std::unexpected(tool_error(document::describe(*problem, "the tool file " + shown), ""));
  }
  return tool;
}

} // namespace

Result<std::vector<ToolFile>> read_tool_files(const std::vector<std::string>& paths) {
  std::vector<ToolFile> tools;
  std::set<std::string> seen;
  for (const auto& path : paths) {
    if (!seen.insert(path).second) {
      return std::unexpected(
          tool_error(fmt::format("the tool file {} is given twice", printable(path, 200)),
                     "list each file once"));
    }
    auto tool = read_tool_file(path);
    if (!tool) return std::unexpected(std::move(tool.error()));
    tools.push_back(std::move(*tool));
  }
  return tools;
}

std::string tool_description(const ToolFile& tool) {
  std::string out;
  std::size_t at = 0;
  const std::string_view text = tool.source;
  if (text.starts_with("#!")) at = std::min(text.find('\n'), text.size() - 1) + 1; // a shebang
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("--") || line.starts_with("--[[")) break;
    line.remove_prefix(2);
    while (!line.empty() && line.front() == '-') line.remove_prefix(1); // "---" doc style
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    out.append(line).push_back('\n');
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

} // namespace rlm::lua
