// Progress of `rlm bench` on stderr: on a terminal a live line (tasks done, running accuracy
// per method, ETA); otherwise one line per finished task; nothing with -q. Failures are
// always shown.
#pragma once

#include "rlm/bench/runner.hpp"

#include <chrono>
#include <map>
#include <mutex>

namespace rlm::cli {

class BenchProgress final : public bench::BenchObserver {
public:
  enum class Style { quiet, lines, live };
  explicit BenchProgress(Style style) : m_style(style) {}

  void on_plan(std::size_t to_run, std::size_t already_done) override;
  void on_task_done(const bench::TaskRecord& record) override;
  void on_task_failed(const bench::PlannedTask& task, const std::string& message) override;
  void on_tick(std::size_t running) override;
  // Clears the live line before other output goes to stderr.
  void done();

private:
  std::string status() const;
  void draw(); // the live line, on a terminal
  std::string eta() const;

  Style m_style;
  std::mutex m_mutex;
  std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
  std::size_t m_total = 0;
  std::size_t m_done = 0;
  std::map<bench::Method, std::pair<double, int>> m_scores; // method -> (sum, count)
  std::size_t m_running = 0;
  std::string m_last; // the last finished task, for the live line
  bool m_line_shown = false;
};

} // namespace rlm::cli
