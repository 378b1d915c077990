// `--trajectory FILE`: the run as JSON lines, one per step, flushed as it happens. It is
// written to FILE.partial and renamed over FILE when the run ends (also on Ctrl-C), so a run
// killed outright never replaces a good FILE with half of one.
#pragma once

#include "rlm/loop/run.hpp"
#include "rlm/util/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace rlm::loop {

// The `trajectory_version` of the file's first line; it grows when a line changes shape.
inline constexpr int k_trajectory_version = 2;

class TrajectoryWriter final : public Observer {
public:
  // Opens `path`.partial and writes `header` as the first line. Fails (ErrorKind::output)
  // when the file cannot be created.
  static Result<std::unique_ptr<TrajectoryWriter>> open(std::string path,
                                                        const nlohmann::json& header);
  ~TrajectoryWriter() override;
  TrajectoryWriter(const TrajectoryWriter&) = delete;
  TrajectoryWriter& operator=(const TrajectoryWriter&) = delete;

  void on_start(const StartInfo& info) override;
  void on_iteration(const IterationRecord& record) override;
  void on_request(const RequestRecord& record) override;

  // Writes the last line and renames FILE.partial to FILE. Fails (ErrorKind::output) when
  // any line could not be written or the rename failed.
  [[nodiscard]] Result<> finish(const nlohmann::json& result);

private:
  TrajectoryWriter(std::string path, std::FILE* file); // `file`: the open FILE.partial
  void write(const nlohmann::json& line);

  std::string m_path;
  std::FILE* m_file = nullptr;
  std::mutex m_mutex;
  bool m_failed = false;
};

} // namespace rlm::loop
