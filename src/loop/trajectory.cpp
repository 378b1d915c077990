#include "rlm/loop/trajectory.hpp"

#include "rlm/loop/report.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rlm::loop {

namespace {

std::string partial(const std::string& path) { return path + ".partial"; }

} // namespace

TrajectoryWriter::TrajectoryWriter(std::string path, std::FILE* file)
    : m_path(std::move(path)), m_file(file) {}

Result<std::unique_ptr<TrajectoryWriter>> TrajectoryWriter::open(std::string path,
                                                                 const nlohmann::json& header) {
  std::FILE* file = std::fopen(partial(path).c_str(), "w");
  if (file == nullptr) {
    return fail(ErrorKind::output,
                fmt::format("cannot write the trajectory {}: {}", printable(partial(path), 200),
                            std::strerror(errno)),
                "check that the directory exists and is writable");
  }
  // Not make_unique: the constructor is private, so that only open() makes a writer.
  std::unique_ptr<TrajectoryWriter> writer(new TrajectoryWriter(std::move(path), file));
  writer->write(header);
  return writer;
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

void TrajectoryWriter::on_start(const StartInfo& info) { write(to_json(info)); }

void TrajectoryWriter::on_request(const RequestRecord& record) { write(to_json(record)); }

void TrajectoryWriter::on_iteration(const IterationRecord& record) { write(to_json(record)); }

Result<> TrajectoryWriter::finish(const nlohmann::json& result) {
  auto line = result;
  line["type"] = "result";
  write(line);
  const std::lock_guard lock(m_mutex);
  const bool closed = std::fclose(m_file) == 0;
  m_file = nullptr;
  std::error_code ec;
  if (!m_failed && closed) std::filesystem::rename(partial(m_path), m_path, ec);
  if (m_failed || !closed || ec) {
    return fail(ErrorKind::output,
                fmt::format("the trajectory could not be written completely to {}",
                            printable(partial(m_path), 200)),
                "check the disk space; the answer itself was printed");
  }
  return {};
}

} // namespace rlm::loop
