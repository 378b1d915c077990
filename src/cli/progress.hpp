// Progress of `rlm ask` on stderr: on a terminal a live status line (turn, sub-calls, tokens,
// elapsed, and what is happening now with its own timer) redrawn every second; otherwise one
// plain line per turn; nothing with -q.
#pragma once

#include "rlm/loop/run.hpp"
#include "ticker.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace rlm::cli {

// Where Progress reads the time and writes, so tests can use a fake clock and capture output.
struct ProgressIo {
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
  std::function<void(std::string_view)> write_raw;                    // stderr as it is
  std::function<void(std::string_view, std::string_view)> write_line; // "rlm: level: text"
  std::function<std::string(std::string_view)> fit;                   // cut to the terminal
  // How often the ticker looks at the live line; it is rewritten only when its text changed
  // (a timer's second went by), so 250 ms shows each second within a quarter of one.
  std::chrono::milliseconds tick_every{250}; // 0: no ticker, only tick()
  static ProgressIo stderr_io();             // the real stderr and clock
};

class Progress final : public loop::Observer {
public:
  enum class Style { quiet, lines, live };
  // With Style::live, starts the ticker that redraws the line (see ProgressIo::tick_every).
  Progress(Style style, std::int64_t max_iterations, std::int64_t max_sub_calls,
           ProgressIo io = ProgressIo::stderr_io());
  ~Progress() override;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void on_start(const loop::StartInfo& info) override;
  void on_model_call(int iteration, int depth) override;
  void on_sub_call_start() override;
  void on_sub_call(const loop::SubCallRecord& record) override;
  void on_cell_start(int depth) override;
  void on_cell_end(int depth) override;
  void on_iteration(const loop::IterationRecord& record) override;
  // Redraws the live line: the elapsed times move on (nothing in the other styles).
  void tick();
  // Stops the ticker and clears the live line before other output goes to stderr; the line
  // is not drawn again. Safe to call twice.
  void done();

private:
  // What the run is doing now; the line shows it with the time since it began.
  enum class Activity { starting, root_model, cell, between };
  void begin(Activity activity);
  std::string activity_text() const;
  void draw();
  void clear_line();

  Style m_style;
  std::int64_t m_max_iterations;
  std::int64_t m_max_sub_calls;
  ProgressIo m_io;
  std::chrono::steady_clock::time_point m_started;
  std::mutex m_mutex;
  Activity m_activity = Activity::starting;
  std::chrono::steady_clock::time_point m_activity_since;
  int m_turn = 0;
  std::int64_t m_sub_calls = 0;
  std::int64_t m_in_flight = 0;      // sub-calls started and not yet ended, at any depth
  std::int64_t m_cell_sub_calls = 0; // sub-calls started since the root's cell began
  std::int64_t m_tokens = 0;
  bool m_line_shown = false;
  std::string m_shown; // the live line as last written
  bool m_warned_sub_call = false;
  bool m_bypass = false;
  bool m_done = false;
  std::optional<Ticker> m_ticker; // last: it stops before the state it draws goes away
};

} // namespace rlm::cli
