// What the loop needs of a Lua REPL: run one cell of model code against the documents. The
// real one is lua::Session, a confined worker process; tests can stand an in-process
// sandbox in its place. An error means the REPL is gone and cannot be restarted; a cell that
// fails (syntax, runtime, timeout, memory, a crash the REPL recovered from) is a CellResult.
#pragma once

#include "rlm/lua/cell_result.hpp"
#include "rlm/util/error.hpp"

#include <string_view>

namespace rlm::lua {

class Repl {
public:
  virtual ~Repl() = default;
  virtual Result<CellResult> run(std::string_view code) = 0;
};

} // namespace rlm::lua
