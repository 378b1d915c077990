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

// Flushes stdout; returns the error text if anything written to it was lost ("" if not).
std::string_view stdout_failed();

} // namespace rlm
