// The prompts of a run: built into the binary from prompts/, or read from the directory the
// config's `prompts_dir` names (a file missing there keeps its built-in text).
#pragma once

#include "rlm/util/error.hpp"

#include <map>
#include <string>
#include <string_view>

namespace rlm::loop {

struct Prompts {
  std::string system; // the root model's system message; {{max_iterations}}, {{max_sub_calls}}
  std::string bypass; // the system message of the direct call for a small document
  std::string final;  // asks for the best answer when the iterations run out
  std::string nested; // the question of a nested RLM run (max_depth > 1)
  // The system message for roots with small windows (prompt_style); the same placeholders.
  std::string system_compact;
};

// The built-in prompts, each replaced by `dir`/<name>.md when that file exists. Fails
// (ErrorKind::usage) when `dir` is not a directory or a file in it cannot be read.
Result<Prompts> load_prompts(const std::string& dir);

// `text` with each {{name}} replaced by its value; unknown names are left as they are.
std::string fill(std::string_view text, const std::map<std::string, std::string>& values);

} // namespace rlm::loop
