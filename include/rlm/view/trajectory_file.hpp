// A trajectory file (`rlm ask --trajectory`) read for `rlm view`: its lines kept as JSON in
// file order, what is not a trajectory line skipped, and how complete the file is. The file
// is untrusted: any bytes give a value or one clear error.
#pragma once

#include "rlm/util/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace rlm::view {

// The `trajectory_version` this viewer reads.
inline constexpr int k_viewer_trajectory_version = 2;

struct Trajectory {
  nlohmann::json lines = nlohmann::json::array(); // run, start, request, iteration, result
  bool finished = false;                          // the result line came: the run ended
  bool last_line_partial = false; // the last line had no end and was not JSON: still written
  std::size_t skipped_lines = 0;  // other lines that were not JSON objects
};

// Reads the text of a trajectory called `name` (for messages). Invalid UTF-8 becomes U+FFFD;
// lines of unknown types are dropped. Fails (ErrorKind::input) when the first line is not a
// trajectory's `run` line or its `trajectory_version` is not k_viewer_trajectory_version.
Result<Trajectory> parse_trajectory(std::string_view text, std::string_view name);

// Reads the file at `path` and parses it. Fails (ErrorKind::input) when it cannot be read,
// or as parse_trajectory() does.
Result<Trajectory> read_trajectory(const std::string& path);

} // namespace rlm::view
