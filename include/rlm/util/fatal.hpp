// The one exception type for failures that end a command: caught once in the CLI.
#pragma once

#include "rlm/util/exit_code.hpp"

#include <stdexcept>
#include <string>

namespace rlm {

// An error the user must fix before the command can succeed. `what()` names the problem,
// `hint()` the fix; the CLI prints both on one line and exits with `code()`.
class Fatal : public std::runtime_error {
public:
  Fatal(ExitCode code, const std::string& message, std::string hint = {})
      : std::runtime_error(message), m_code(code), m_hint(std::move(hint)) {}

  ExitCode code() const { return m_code; }
  const std::string& hint() const { return m_hint; }

private:
  ExitCode m_code;
  std::string m_hint;
};

} // namespace rlm
