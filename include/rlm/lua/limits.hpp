// The limits of one Lua REPL, as a plain struct: the REPL knows nothing of config files.
#pragma once

#include <cstdint>

namespace rlm::lua {

struct Limits {
  double cell_timeout_seconds = 30.0; // running time of one cell (llm_query waits excluded)
  std::int64_t memory_limit_bytes = 4096LL << 20; // the Lua heap, document included
  std::int64_t max_output_bytes = 64 * 1024;      // print() output kept per cell
  std::int64_t max_source_bytes = 256 * 1024;     // largest cell, and largest load() chunk
  std::int64_t max_error_bytes = 2048;            // error messages are cut to this
  bool operator==(const Limits&) const = default;
};

} // namespace rlm::lua
