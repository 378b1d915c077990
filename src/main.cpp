// The rlm executable: everything lives in the library; this only hands over the arguments.
// (The Lua REPL runs in a separate executable, rlm-worker: src/worker_main.cpp.)
#include "rlm/cli/app.hpp"
#include "rlm/util/console.hpp"

int main(int argc, char** argv) {
  try {
    rlm::protect_standard_streams();
    return rlm::cli::run(argc, argv);
  } catch (...) {
    return 1; // nothing could even be reported (stderr failed too): still a defined exit
  }
}
