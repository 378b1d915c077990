// The process exit codes of rlm, defined once here and documented in docs/cli.md.
#pragma once

namespace rlm {

// What a script can learn from `$?`. Values are stable: scripts depend on them.
enum class ExitCode : int {
  success = 0,
  failure = 1,       // an unexpected internal error (a bug: please report it)
  usage = 2,         // bad command line or configuration
  input = 3,         // unusable input: missing, unreadable, binary, invalid UTF-8, empty
  provider = 4,      // a model provider failed: down, bad key, model missing, gave up retrying
  limit = 5,         // a limit was hit: iterations, sub-calls, time or memory of a cell
  script = 6,        // Lua code run by `rlm lua` raised an error
  output = 7,        // the result could not be written: stdout closed or the disk full
  hung_up = 129,     // stopped by SIGHUP (128 + 1): the terminal closed
  interrupted = 130, // stopped by Ctrl-C (128 + SIGINT, as shells report it)
  terminated = 143,  // stopped by SIGTERM (128 + 15): timeout, systemd, docker stop, CI
};

// The integer to return from main() for `code`.
constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

} // namespace rlm
