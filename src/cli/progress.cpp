#include "progress.hpp"

#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"

#include <fmt/format.h>

namespace rlm::cli {

namespace {

std::string tokens(std::int64_t n) {
  if (n < 1000) return std::to_string(n);
  if (n < 1'000'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return fmt::format("{:.2f}M", static_cast<double>(n) / 1e6);
}

// "0:07", "12:34", "1:02:03": a timer a user reads at a glance.
std::string clock_text(std::chrono::steady_clock::duration d) {
  const auto s =
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

} // namespace

ProgressIo ProgressIo::stderr_io() {
  ProgressIo io;
  io.write_raw = write_stderr_raw;
  io.write_line = write_stderr_line;
  io.fit = fit_to_terminal;
  return io;
}

Progress::Progress(Style style, std::int64_t max_iterations, std::int64_t max_sub_calls,
                   ProgressIo io)
    : m_style(style), m_max_iterations(max_iterations), m_max_sub_calls(max_sub_calls),
      m_io(std::move(io)), m_started(m_io.now()), m_activity_since(m_started) {
  // Only a terminal gets a ticking line: piped stderr keeps one line per event.
  if (m_style == Style::live && m_io.tick_every.count() > 0)
    m_ticker.emplace([this] { tick(); }, m_io.tick_every);
}

Progress::~Progress() { done(); }

void Progress::begin(Activity activity) {
  m_activity = activity;
  m_activity_since = m_io.now();
}

std::string Progress::activity_text() const {
  const auto timer = clock_text(m_io.now() - m_activity_since);
  switch (m_activity) {
  case Activity::starting: return "starting " + timer;
  case Activity::root_model: return "waiting for the root model " + timer;
  case Activity::between: return "reading the output";
  case Activity::cell:
    if (m_in_flight == 0) return "running cell " + timer;
    return fmt::format("running cell {} · sub-calls {}/{} in flight", timer, m_in_flight,
                       std::max(m_in_flight, m_cell_sub_calls));
  }
  return timer;
}

void Progress::draw() {
  if (m_style != Style::live || m_done) return;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(m_io.now() - m_started).count();
  auto line = m_bypass ? fmt::format("rlm: small document, one direct call · {} s · {}", elapsed,
                                     activity_text())
                       : fmt::format("rlm: turn {}/{} · sub-calls {}/{} · tokens {} · {} s · {}",
                                     m_turn, m_max_iterations, m_sub_calls, m_max_sub_calls,
                                     tokens(m_tokens), elapsed, activity_text());
  line = m_io.fit(line);
  if (m_line_shown && line == m_shown) return; // ticks come faster than the seconds change
  m_io.write_raw("\r\x1b[2K" + line);
  m_shown = std::move(line);
  m_line_shown = true;
}

void Progress::clear_line() {
  if (m_line_shown) m_io.write_raw("\r\x1b[2K");
  m_line_shown = false;
}

void Progress::tick() {
  const std::lock_guard lock(m_mutex);
  draw();
}

void Progress::on_start(const loop::StartInfo& info) {
  const std::lock_guard lock(m_mutex);
  if (info.depth > 0) return;
  m_bypass = info.mode == loop::RunMode::bypass;
  if (m_style == Style::lines) {
    m_io.write_line("info", m_bypass ? "small document: asking the root model directly (bypass)"
                                     : "starting the RLM loop");
  }
}

void Progress::on_model_call(int iteration, int depth) {
  const std::lock_guard lock(m_mutex);
  if (depth == 0) {
    // The final call after the last turn is numbered one past it; it is not a turn.
    m_turn = static_cast<int>(std::min<std::int64_t>(iteration, m_max_iterations));
    begin(Activity::root_model);
  }
  draw();
}

void Progress::on_sub_call_start() {
  const std::lock_guard lock(m_mutex);
  ++m_in_flight;
  ++m_cell_sub_calls;
  draw();
}

void Progress::on_cell_start(int depth) {
  const std::lock_guard lock(m_mutex);
  if (depth > 0) return; // a nested run's cells run inside the root's sub-call
  m_cell_sub_calls = 0;
  begin(Activity::cell);
  draw();
}

void Progress::on_cell_end(int depth) {
  const std::lock_guard lock(m_mutex);
  if (depth > 0) return;
  begin(Activity::between);
  draw();
}

void Progress::on_sub_call(const loop::SubCallRecord& record) {
  const std::lock_guard lock(m_mutex);
  m_in_flight = std::max<std::int64_t>(0, m_in_flight - 1);
  // A call cut off by Ctrl-C never ended: the summary does not count it either.
  if (record.error_kind == providers::ProviderError::Kind::cancelled) return;
  ++m_sub_calls;
  m_tokens += record.usage.prompt_tokens + record.usage.completion_tokens;
  const bool stops_the_run = record.error_kind && providers::repeats_every_call(*record.error_kind);
  if (!record.error.empty() && !stops_the_run && !m_warned_sub_call && m_style != Style::quiet) {
    // The first failure is shown as it happens; the summary counts them all.
    m_warned_sub_call = true;
    clear_line();
    m_io.write_line("warning",
                    fmt::format("a sub-call failed: {}; the run goes on and the model sees "
                                "the error (later failures are counted in the summary)",
                                printable(record.error, 400)));
  }
  draw();
}

void Progress::on_iteration(const loop::IterationRecord& record) {
  const std::lock_guard lock(m_mutex);
  m_tokens += record.usage.prompt_tokens + record.usage.completion_tokens;
  if (record.depth > 0) return;
  if (m_style == Style::lines && !m_bypass) { // a bypass is one call, not a turn
    int errors = 0;
    for (const auto& c : record.cells) errors += c.error_kind ? 1 : 0;
    std::size_t sub_calls = 0; // as the summary counts them: those that ended
    for (const auto& s : record.sub_calls)
      sub_calls += s.error_kind == providers::ProviderError::Kind::cancelled ? 0U : 1U;
    m_io.write_line(
        "info",
        fmt::format("turn {}: {} code block{}, {} error{}, {} sub-call{}, {:.1f} s{}",
                    record.number, record.cells.size(), record.cells.size() == 1 ? "" : "s", errors,
                    errors == 1 ? "" : "s", sub_calls, sub_calls == 1 ? "" : "s", record.seconds,
                    record.notes.empty() ? ""
                                         : " (" + record.notes.front().substr(0, 60) + "...)"));
  }
  begin(Activity::between);
  draw();
}

void Progress::done() {
  if (m_ticker) m_ticker->stop(); // outside the lock: a tick under way may be waiting for it
  const std::lock_guard lock(m_mutex);
  clear_line();
  m_done = true;
}

} // namespace rlm::cli
