// Writing to stdout and stderr without exceptions, and noticing when stdout failed.
#pragma once

#include <string>
#include <string_view>

namespace rlm {

// Writes `text` to stdout. Failures are remembered, not thrown: see stdout_failed().
void write_stdout(std::string_view text);

// Writes "rlm: <level>: <message>\n" to stderr. Never throws; a failed write is ignored,
// because there is nowhere left to report it.
void write_stderr_line(std::string_view level, std::string_view message);

// Writes `text` to stderr as it is (a live status line). Never throws.
void write_stderr_raw(std::string_view text);

bool stderr_is_terminal();
bool stdin_is_terminal();

// `line` cut to fit the width of the terminal on stderr (80 columns when unknown), so a live
// status line never wraps: "\r" could not go back over a wrapped line. Counts code points.
std::string fit_to_terminal(std::string_view line);

// Makes the standard streams safe to use, once, first thing in main: SIGPIPE is ignored (a
// reader that went away is a write error, not a death), and a closed fd 0, 1 or 2 is opened
// on /dev/null, so no file or socket rlm opens later can take its number and receive its
// output. A stdout that was closed still counts as failed (see stdout_failed).
void protect_standard_streams();

// Flushes stdout; returns the error text if anything written to it was lost ("" if not).
std::string_view stdout_failed();

// Whether stdout's reader went away (EPIPE: `rlm ask ... | head -1`): exit 7 with no message.
bool stdout_reader_gone();

} // namespace rlm
