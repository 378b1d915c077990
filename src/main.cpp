// The rlm executable: everything lives in the library; this only hands over the arguments.
#include "rlm/cli/app.hpp"
#include "rlm/lua/worker.hpp"
#include "rlm/util/console.hpp"

int main(int argc, char** argv) {
  try {
    // rlm runs its Lua REPL in a copy of itself: such a copy never reaches the CLI.
    if (const int code = rlm::lua::run_worker_if_requested(argc, argv); code >= 0) return code;
    rlm::protect_standard_streams();
    return rlm::cli::run(argc, argv);
  } catch (...) {
    return 1; // nothing could even be reported (stderr failed too): still a defined exit
  }
}
