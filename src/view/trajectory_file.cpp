#include "rlm/view/trajectory_file.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/untrusted_json.hpp"
#include "rlm/util/utf8_text.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rlm::view {

namespace {

constexpr std::array<std::string_view, 5> k_known_types = {"run", "start", "request", "iteration",
                                                           "result"};

bool known_type(const nlohmann::json& line) {
  const auto* type = json_field::string(line, "type");
  if (type == nullptr) return false;
  for (const auto known : k_known_types) {
    if (*type == known) return true;
  }
  return false;
}

// The first line must say what the file is; anything else is some other file.
Result<> check_header(const nlohmann::json* first, std::string_view name) {
  const auto* type = first == nullptr ? nullptr : json_field::string(*first, "type");
  if (type == nullptr || *type != "run") {
    return fail(ErrorKind::input,
                fmt::format("{} is not an rlm trajectory (its first line is not a \"run\" line)",
                            printable(name, 200)),
                "name a file written by rlm ask --trajectory FILE");
  }
  // Version 1 wrote no such field.
  const auto version = json_field::integer(*first, "trajectory_version", 0, 1'000'000).value_or(1);
  if (version != k_viewer_trajectory_version) {
    return fail(ErrorKind::input,
                fmt::format("{} is trajectory_version {}; this rlm view reads version {}",
                            printable(name, 200), version, k_viewer_trajectory_version),
                "view it with the rlm version that wrote it");
  }
  return {};
}

} // namespace

Result<Trajectory> parse_trajectory(std::string_view text, std::string_view name) {
  Trajectory trajectory;
  bool header_checked = false;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto newline = text.find('\n', at);
    const bool last_without_end = newline == std::string_view::npos;
    const auto end = last_without_end ? text.size() : newline;
    const auto raw = text.substr(at, end - at);
    at = end + 1;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto line = parse_untrusted_json(valid_utf8(raw)); // depth-limited: the file is a stranger's
    if (!header_checked) {
      if (auto ok = check_header(line ? &*line : nullptr, name); !ok)
        return std::unexpected(ok.error());
      header_checked = true;
    }
    if (!line || !line->is_object()) {
      if (last_without_end)
        trajectory.last_line_partial = true;
      else
        ++trajectory.skipped_lines;
      continue;
    }
    if (!known_type(*line)) continue; // a newer rlm's line: nothing to show
    if (*json_field::string(*line, "type") == "result") trajectory.finished = true;
    trajectory.lines.push_back(std::move(*line));
  }
  if (!header_checked) {
    return fail(ErrorKind::input,
                fmt::format("{} is empty, not an rlm trajectory", printable(name, 200)),
                "name a file written by rlm ask --trajectory FILE");
  }
  return trajectory;
}

Result<Trajectory> read_trajectory(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorKind::input, fmt::format("no trajectory file {}", printable(path, 200)),
                "check the path: rlm ask --trajectory FILE writes one");
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorKind::input, fmt::format("{} is not a regular file", printable(path, 200)),
                "name the .jsonl file rlm ask --trajectory wrote");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::input,
                fmt::format("cannot read {}: {}", printable(path, 200), std::strerror(errno)),
                "check the file's permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_trajectory(text.view(), path);
}

} // namespace rlm::view
