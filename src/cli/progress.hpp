// Progress of `rlm ask` on stderr: on a terminal a live status line (turn, sub-calls, tokens,
// elapsed), otherwise one plain line per turn; nothing with -q.
#pragma once

#include "rlm/loop/run.hpp"

#include <chrono>
#include <mutex>

namespace rlm::cli {

class Progress final : public loop::Observer {
public:
  enum class Style { quiet, lines, live };
  Progress(Style style, std::int64_t max_iterations, std::int64_t max_sub_calls);

  void on_start(const loop::StartInfo& info) override;
  void on_model_call(int iteration, int depth) override;
  void on_sub_call(const loop::SubCallRecord& record) override;
  void on_iteration(const loop::IterationRecord& record) override;
  // Clears the live line before other output goes to stderr.
  void done();

private:
  void draw(const std::string& activity);
  double elapsed() const;

  Style m_style;
  std::int64_t m_max_iterations;
  std::int64_t m_max_sub_calls;
  std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
  std::mutex m_mutex;
  int m_turn = 0;
  std::int64_t m_sub_calls = 0;
  std::int64_t m_tokens = 0;
  bool m_line_shown = false;
  bool m_warned_sub_call = false;
  bool m_bypass = false;
};

} // namespace rlm::cli
