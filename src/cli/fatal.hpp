// Where an Error becomes a process exit: the CLI's commands unwrap a Result with `or_exit`,
// which throws Fatal; app.cpp catches it once, prints one line and exits with its code.
#pragma once

#include "rlm/util/error.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/util/fatal.hpp"

#include <utility>

namespace rlm::cli {

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
