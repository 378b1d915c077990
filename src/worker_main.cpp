// The rlm-worker executable: the Lua REPL's process, started by rlm (lua::Session) and by
// nothing else. It links only what a worker needs (Lua, RE2, fmt): it starts fast and maps
// no network or TLS code into the process that runs the model's code.
#include "lua/protocol.hpp"
#include "rlm/lua/worker.hpp"

#include <cstdio>
#include <sys/stat.h>

int main() {
  // Run by hand, it would wait on a descriptor that is not its parent's socket.
  struct stat descriptor {};
  if (::fstat(rlm::lua::protocol::k_socket_fd, &descriptor) != 0 || !S_ISSOCK(descriptor.st_mode)) {
    std::fputs("rlm-worker: this is rlm's Lua REPL process; rlm starts it (run rlm instead)\n",
               stderr);
    return 2;
  }
  rlm::lua::run_worker();
}
