// Reading a TOML configuration file into a Config, with a diagnostic for every problem.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/config/diagnostic.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::config {

struct LoadResult {
  Config config; // meaningful only when `diagnostics` holds no error
  std::vector<Diagnostic> diagnostics;
};

// Parses `text`, named `display_path` in messages, over the built-in defaults. Unknown keys
// are warnings; wrong types, out-of-range values and missing required keys are errors.
// A file without [[providers]] keeps the built-in providers; one with providers but no
// root provider is an error.
LoadResult parse_config(std::string_view text, const std::string& display_path);

// Reads and parses the file at `path`; a file that cannot be read is one error diagnostic.
// A relative `prompts_dir` is resolved against the file's directory.
LoadResult load_config_file(const std::filesystem::path& path);

// Every key a file may hold, as "key", "section.key" or "providers.key", for docs checks.
std::vector<std::string> all_keys();

} // namespace rlm::config
