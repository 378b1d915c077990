// What running one cell of Lua produced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rlm::lua {

struct CellError {
  enum class Kind {
    syntax,      // the code did not compile
    runtime,     // it raised an error
    timeout,     // it ran past the cell time limit
    memory,      // it reached the memory limit
    too_large,   // the source was over max_source_bytes
    crashed,     // the REPL process died (a VM crash or a forbidden system call)
    interrupted, // stopped by Ctrl-C
    aborted,     // stopped by the host: the run cannot go on (a sub-call failure that repeats)
  };
  Kind kind = Kind::runtime;
  std::string message; // one or a few lines, cut to max_error_bytes
  bool operator==(const CellError&) const = default;
};

struct CellResult {
  std::string output;               // what print() wrote, cut to max_output_bytes
  std::uint64_t output_dropped = 0; // bytes of output cut off
  std::optional<CellError> error;
  std::optional<std::string> final_answer; // set by FINAL or FINAL_VAR
  double seconds = 0;                      // wall time of the cell, model calls included
  std::uint64_t memory_bytes = 0;          // Lua heap in use after the cell
  std::uint64_t peak_memory_bytes = 0;
  std::uint64_t sub_calls = 0; // prompts sent through llm_query / llm_query_batched
  bool state_reset = false;    // the REPL was restarted: earlier variables are gone
  // The cell read the document: it read `context` or `documents`, or called a tool that
  // reads it (tool_registry.hpp), even if it failed later. False when the worker was lost.
  bool read_document = false;
  bool operator==(const CellResult&) const = default;
};

// A short name for `kind`, for logs and JSON ("syntax", "timeout", ...).
const char* to_string(CellError::Kind kind);

// What the model or user should read: output, the truncation marker, the error. Bytes that
// are not UTF-8 (a cell may print any bytes, and they reach here unchanged) become U+FFFD
// here, so the message a provider is sent is valid JSON text.
std::string render_for_model(const CellResult& result);

} // namespace rlm::lua
