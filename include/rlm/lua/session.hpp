// A Lua REPL session as rlm uses it: a worker process holding the documents and the
// variables, run cell by cell, killed and restarted when a cell outruns its hard deadline or
// the process dies.
#pragma once

#include "rlm/document/document_set.hpp"
#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"

#include <atomic>

#include <string>
#include <string_view>
#include <sys/types.h>

namespace rlm::lua {

struct SessionOptions {
  // How long past the cell limit the worker may take to stop by itself before it is killed.
  double grace_seconds = 1.0;
  // Confine the worker (rlimits + seccomp). Off only in tests that inspect the worker.
  bool confine = true;
  // When set (Ctrl-C), a running cell is stopped at once: the worker is killed and restarted.
  const std::atomic<bool>* cancel = nullptr;
};

class Session {
public:
  // Starts the worker and loads `documents` into it. Throws Fatal when it cannot start.
  Session(const document::DocumentSet& documents, const Limits& limits, Host& host,
          SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one cell. A cell past its hard deadline, or a worker that dies, ends with an
  // error of kind timeout or crashed, `state_reset` set, and a fresh worker for the next.
  CellResult run(std::string_view code);

  // The worker's process id (for tests that must kill it from outside).
  pid_t worker_pid() const { return m_pid; }
  // Seconds the last worker start took (loading the documents), for benchmarks.
  double last_start_seconds() const { return m_start_seconds; }

private:
  void start_worker();
  void stop_worker();
  CellResult lost_worker(CellError::Kind kind, std::string message, double seconds);
  std::string describe_exit(int status) const;

  const document::DocumentSet& m_documents;
  Limits m_limits;
  Host& m_host;
  SessionOptions m_options;
  pid_t m_pid = -1;
  int m_socket = -1;
  double m_start_seconds = 0;
};

} // namespace rlm::lua
