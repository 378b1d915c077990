#include "rlm/loop/trajectory.hpp"

#include "rlm/loop/report.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/exit_code.hpp"
#include "rlm/util/fatal.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rlm::loop {

namespace {

std::string partial(const std::string& path) { return path + ".partial"; }

} // namespace

TrajectoryWriter::TrajectoryWriter(std::string path, const nlohmann::json& header)
    : m_path(std::move(path)) {
  m_file = std::fopen(partial(m_path).c_str(), "w");
  if (m_file == nullptr) {
    throw Fatal(ExitCode::output,
                fmt::format("cannot write the trajectory {}: {}", printable(partial(m_path), 200),
                            std::strerror(errno)),
                "check that the directory exists and is writable");
  }
  write(header);
}

TrajectoryWriter::~TrajectoryWriter() {
  if (m_file != nullptr) std::fclose(m_file); // unfinished: FILE.partial stays, FILE is kept
}

void TrajectoryWriter::write(const nlohmann::json& line) {
  const std::lock_guard lock(m_mutex);
  if (m_file == nullptr) return;
  const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(text.data(), 1, text.size(), m_file) != text.size() || std::fflush(m_file) != 0)
    m_failed = true;
}

void TrajectoryWriter::on_start(const StartInfo& info) {
  write({{"type", "start"},
         {"mode", info.mode},
         {"depth", info.depth},
         {"system_prompt", info.system_prompt},
         {"first_message", info.first_message}});
}

void TrajectoryWriter::on_iteration(const IterationRecord& record) { write(to_json(record)); }

void TrajectoryWriter::finish(const nlohmann::json& result) {
  auto line = result;
  line["type"] = "result";
  write(line);
  const std::lock_guard lock(m_mutex);
  const bool closed = std::fclose(m_file) == 0;
  m_file = nullptr;
  std::error_code ec;
  if (!m_failed && closed) std::filesystem::rename(partial(m_path), m_path, ec);
  if (m_failed || !closed || ec) {
    throw Fatal(ExitCode::output,
                fmt::format("the trajectory could not be written completely to {}",
                            printable(partial(m_path), 200)),
                "check the disk space; the answer itself was printed");
  }
}

} // namespace rlm::loop
