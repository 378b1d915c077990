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

} // namespace

Progress::Progress(Style style, std::int64_t max_iterations, std::int64_t max_sub_calls)
    : m_style(style), m_max_iterations(max_iterations), m_max_sub_calls(max_sub_calls) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
}

void Progress::draw(const std::string& activity) {
  if (m_style != Style::live) return;
  const auto line =
      m_bypass
          ? fmt::format("rlm: small document, one direct call · {:.1f} s · {}", elapsed(), activity)
          : fmt::format("rlm: turn {}/{} · sub-calls {}/{} · tokens {} · {:.1f} s · {}", m_turn,
                        m_max_iterations, m_sub_calls, m_max_sub_calls, tokens(m_tokens), elapsed(),
                        activity);
  write_stderr_raw("\r\x1b[2K" + fit_to_terminal(line));
  m_line_shown = true;
}

void Progress::on_start(const loop::StartInfo& info) {
  const std::lock_guard lock(m_mutex);
  if (info.depth > 0) return;
  m_bypass = info.mode == loop::RunMode::bypass;
  if (m_style == Style::lines) {
    write_stderr_line("info", m_bypass ? "small document: asking the root model directly (bypass)"
                                       : "starting the RLM loop");
  }
}

void Progress::on_model_call(int iteration, int depth) {
  const std::lock_guard lock(m_mutex);
  if (depth == 0) m_turn = iteration;
  draw(depth == 0 ? "waiting for the root model" : "nested run");
}

void Progress::on_sub_call(const loop::SubCallRecord& record) {
  const std::lock_guard lock(m_mutex);
  // A call cut off by Ctrl-C never ended: the summary does not count it either.
  if (record.error_kind == providers::ProviderError::Kind::cancelled) return;
  ++m_sub_calls;
  m_tokens += record.usage.prompt_tokens + record.usage.completion_tokens;
  const bool stops_the_run = record.error_kind && providers::repeats_every_call(*record.error_kind);
  if (!record.error.empty() && !stops_the_run && !m_warned_sub_call && m_style != Style::quiet) {
    // The first failure is shown as it happens; the summary counts them all.
    m_warned_sub_call = true;
    if (m_line_shown) write_stderr_raw("\r\x1b[2K");
    m_line_shown = false;
    write_stderr_line("warning",
                      fmt::format("a sub-call failed: {}; the run goes on and the model sees "
                                  "the error (later failures are counted in the summary)",
                                  printable(record.error, 400)));
  }
  draw("sub-calls");
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
    write_stderr_line(
        "info",
        fmt::format("turn {}: {} code block{}, {} error{}, {} sub-call{}, {:.1f} s{}",
                    record.number, record.cells.size(), record.cells.size() == 1 ? "" : "s", errors,
                    errors == 1 ? "" : "s", sub_calls, sub_calls == 1 ? "" : "s", record.seconds,
                    record.notes.empty() ? ""
                                         : " (" + record.notes.front().substr(0, 60) + "...)"));
  }
  draw("running code");
}

void Progress::done() {
  const std::lock_guard lock(m_mutex);
  if (m_line_shown) write_stderr_raw("\r\x1b[2K");
  m_line_shown = false;
}

} // namespace rlm::cli
