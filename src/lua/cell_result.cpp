#include "rlm/lua/cell_result.hpp"

#include "frame_text.hpp"

#include <fmt/format.h>

namespace rlm::lua {

const char* to_string(CellError::Kind kind) {
  switch (kind) {
  case CellError::Kind::syntax: return "syntax";
  case CellError::Kind::runtime: return "runtime";
  case CellError::Kind::timeout: return "timeout";
  case CellError::Kind::memory: return "memory";
  case CellError::Kind::too_large: return "too_large";
  case CellError::Kind::crashed: return "crashed";
  case CellError::Kind::interrupted: return "interrupted";
  case CellError::Kind::aborted: return "aborted";
  }
  return "?";
}

std::string render_for_model(const CellResult& result) {
  std::string out = frames::text::valid_utf8(result.output);
  if (result.output_dropped > 0) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += fmt::format("[output truncated: {} more bytes not shown; print less, or summarise]\n",
                       result.output_dropped);
  }
  if (result.error)
    out += fmt::format("error: {}\n", frames::text::valid_utf8(result.error->message));
  if (result.state_reset) {
    out += "[the REPL was restarted: variables from earlier cells are gone; context and the "
           "tools are loaded again]\n";
  }
  return out;
}

} // namespace rlm::lua
