// Where a failure becomes a process exit, and the only place: below src/cli/ a failure is an
// Error value (rlm/util/error.hpp). The CLI's commands unwrap a Result with `or_exit`, or
// throw Fatal for their own usage errors; app.cpp catches it once, prints one line and
// exits with its code.
#pragma once

#include "rlm/util/error.hpp"
#include "rlm/util/exit_code.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace rlm::cli {

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

constexpr ExitCode exit_code(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::internal: return ExitCode::failure;
  case ErrorKind::usage: return ExitCode::usage;
  case ErrorKind::input: return ExitCode::input;
  case ErrorKind::provider: return ExitCode::provider;
  case ErrorKind::limit: return ExitCode::limit;
  case ErrorKind::output: return ExitCode::output;
  }
  return ExitCode::failure;
}

[[noreturn]] inline void exit_with(const Error& error) {
  throw Fatal(exit_code(error.kind), error.message, error.hint);
}

template <class T> T or_exit(Result<T> result) {
  if (!result) exit_with(result.error());
  return std::move(*result);
}

inline void or_exit(const Result<>& result) {
  if (!result) exit_with(result.error());
}

} // namespace rlm::cli
