// The one error value below the CLI. A function that can fail for a reason the user must
// fix returns `Result<T>` (std::expected<T, Error>); nothing below src/cli/ throws for such
// a failure, and only src/cli/ turns an Error into a process exit (cli::exit_code).
#pragma once

#include <expected>
#include <string>

namespace rlm {

// Which kind of failure: the CLI maps each to one documented exit code (docs/cli.md).
enum class ErrorKind {
  internal, // a bug in rlm: exit 1
  usage,    // a bad command line, config or prompt file: exit 2
  input,    // an unusable document or results file: exit 3
  provider, // a model provider failed: exit 4
  limit,    // a limit was hit: exit 5
  output,   // a result could not be written: exit 7
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message; // what went wrong, naming the file, provider or value
  std::string hint;    // how to fix it; may be empty
};

template <class T = void> using Result = std::expected<T, Error>;

// `return fail(ErrorKind::input, "no file x", "check the path");` from a Result function.
inline std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
  return std::unexpected(Error{kind, std::move(message), std::move(hint)});
}

} // namespace rlm
