// The user's own tools: Lua files ([sandbox] tools, --tools) that every REPL loads before the
// first cell, sandboxed like the model's code. The parent reads them; the worker runs them
// (Sandbox::load_tool) on every start, so a restarted REPL has them too.
#pragma once

#include "rlm/util/error.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rlm::lua {

struct ToolFile {
  std::string name;   // the path as the user gave it: errors read "tools/dates.lua:3: ..."
  std::string source; // UTF-8 Lua text
  bool operator==(const ToolFile&) const = default;
};

inline constexpr std::size_t k_max_tool_file_bytes = 256 * 1024;

// Reads each file: a usage error (exit 2) naming the file when one is missing, unreadable,
// over k_max_tool_file_bytes, not UTF-8 text, or given twice.
Result<std::vector<ToolFile>> read_tool_files(const std::vector<std::string>& paths);

// The leading `--` comment lines of a tool file, without the dashes: what the prompt says of
// it. Empty when it starts with code.
std::string tool_description(const ToolFile& tool);

} // namespace rlm::lua
