// Reading a root model's reply: the Lua code blocks to run, and a FINAL written as plain
// text. Small local models are sloppy, so this is lenient where it is safe (unlabelled
// fences, a fence left open at the end) and strict where leniency would accept a plan as an
// answer (a plain-text FINAL counts only on a line of its own, outside code). Reasoning
// (<think>...</think>, also an opened block never closed) is not read at all: code and FINALs
// drafted while thinking are never run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::loop {

struct Reply {
  std::vector<std::string> code; // ```lua, ```repl or unlabelled blocks, in order
  std::vector<std::string>
      other_language;                    // labels of fenced blocks that are not Lua, e.g. "python"
  std::optional<std::string> final_text; // FINAL(...) on its own line outside code
  std::optional<std::string> final_var;  // FINAL_VAR(name) on its own line outside code
};

Reply parse_reply(std::string_view text);

// For a reply still streaming: where the first runnable, non-empty code block ends (just past
// its closing fence line's newline), once it has; nothing while a <think> is open, while no
// such block has closed, or once another fence has begun after it (the model is not done).
std::optional<std::size_t> code_closed_at(std::string_view text);

// A hint when Lua's error message suggests the code was written in another language.
std::optional<std::string> wrong_language_hint(std::string_view code);

} // namespace rlm::loop
