#include "bench_progress.hpp"

#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"
#include "rlm/util/length_spec.hpp"

#include <fmt/format.h>

namespace rlm::cli {

namespace {

std::string duration_text(double seconds) {
  const auto s = static_cast<std::int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h {:02}m", s / 3600, s / 60 % 60);
  if (s >= 60) return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string task_name(const bench::TaskSpec& spec, bench::Method method) {
  return fmt::format("{} {} {}{} trial {}", spec.suite, config::to_string(method),
                     format_length(spec.length_tokens),
                     spec.position ? fmt::format(" at {:g}", *spec.position) : "", spec.trial + 1);
}

} // namespace

std::string BenchProgress::eta() const {
  if (m_done == 0 || m_done >= m_total) return "";
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  return fmt::format(" · ETA {}", duration_text(elapsed / static_cast<double>(m_done) *
                                                static_cast<double>(m_total - m_done)));
}

std::string BenchProgress::status() const {
  std::string accuracy;
  for (const auto& [method, score] : m_scores) {
    accuracy += fmt::format(" · {} {:.0f}%", config::to_string(method),
                            100.0 * score.first / std::max(1, score.second));
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
  return fmt::format("{}/{} tasks{} · {} running · {}{}", m_done, m_total, accuracy, m_running,
                     duration_text(elapsed), eta());
}

void BenchProgress::draw() {
  if (m_style != Style::live) return;
  write_stderr_raw("\r\x1b[2K" + fit_to_terminal("bench: " + status() +
                                                 (m_last.empty() ? "" : " · last: " + m_last)));
  m_line_shown = true;
}

void BenchProgress::on_tick(std::size_t running) {
  const std::lock_guard lock(m_mutex);
  m_running = running;
  draw();
}

void BenchProgress::on_plan(std::size_t to_run, std::size_t already_done) {
  const std::lock_guard lock(m_mutex);
  m_total = to_run;
  if (m_style == Style::quiet) return;
  write_stderr_line("info", already_done > 0
                                ? fmt::format("{} task{} to run; {} already done (skipped)", to_run,
                                              to_run == 1 ? "" : "s", already_done)
                                : fmt::format("{} task{} to run", to_run, to_run == 1 ? "" : "s"));
}

void BenchProgress::on_task_done(const bench::TaskRecord& r) {
  const std::lock_guard lock(m_mutex);
  ++m_done;
  auto& score = m_scores[r.method];
  score.first += r.score;
  ++score.second;
  bench::TaskSpec spec{r.suite, r.length_tokens, r.position, r.trial, r.seed};
  const auto calls =
      r.method == bench::Method::rlm
          ? fmt::format("{} turn{}, {} sub-call{}", r.iterations, r.iterations == 1 ? "" : "s",
                        r.sub_calls, r.sub_calls == 1 ? "" : "s")
          : fmt::format("{} call{}", r.root.calls, r.root.calls == 1 ? "" : "s");
  const auto what =
      fmt::format("{}: score {:.2f}{}, {}, {:.1f} s", task_name(spec, r.method), r.score,
                  r.status == bench::Status::ok ? "" : fmt::format(" ({})", to_string(r.status)),
                  calls, r.seconds);
  if (m_style == Style::lines) {
    write_stderr_line("info", fmt::format("[{}/{}] {}{}", m_done, m_total, what, eta()));
  } else {
    m_last = what;
    draw();
  }
}

void BenchProgress::on_task_failed(const bench::PlannedTask& task, const std::string& message) {
  const std::lock_guard lock(m_mutex);
  if (m_line_shown) write_stderr_raw("\r\x1b[2K");
  m_line_shown = false;
  write_stderr_line("warning", fmt::format("{} not recorded: {}", task_name(task.spec, task.method),
                                           printable(message, 400)));
}

void BenchProgress::done() {
  const std::lock_guard lock(m_mutex);
  if (m_line_shown) write_stderr_raw("\r\x1b[2K");
  m_line_shown = false;
}

} // namespace rlm::cli
