#include "interrupt.hpp"

#include <csignal>

namespace rlm::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL); // a second Ctrl-C ends the process at once
}

} // namespace

const std::atomic<bool>& interrupt_on_ctrl_c() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: blocking calls return and see the flag
    return sigaction(SIGINT, &action, nullptr) == 0;
  }();
  (void)installed;
  return g_interrupted;
}

} // namespace rlm::cli
