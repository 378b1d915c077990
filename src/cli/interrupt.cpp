#include "interrupt.hpp"

#include <csignal>

namespace rlm::cli {

namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int signal) {
  int none = 0;
  g_signal.compare_exchange_strong(none, signal);
  g_interrupted.store(true);
  std::signal(signal, SIG_DFL); // a second one ends the process at once
}

} // namespace

const std::atomic<bool>& interrupt_on_signals() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: blocking calls return and see the flag
    bool ok = true;
    for (const int signal : {SIGINT, SIGTERM, SIGHUP})
      ok = sigaction(signal, &action, nullptr) == 0 && ok;
    return ok;
  }();
  (void)installed;
  return g_interrupted;
}

int interrupted_exit_code() {
  switch (g_signal.load()) {
  case SIGTERM: return to_int(ExitCode::terminated);
  case SIGHUP: return to_int(ExitCode::hung_up);
  default: return to_int(ExitCode::interrupted);
  }
}

std::string interrupted_by() {
  switch (g_signal.load()) {
  case SIGTERM: return "terminated (SIGTERM)";
  case SIGHUP: return "hung up (SIGHUP)";
  default: return "interrupted (Ctrl-C)";
  }
}

} // namespace rlm::cli
