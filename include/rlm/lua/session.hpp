// A Lua REPL session as rlm uses it: a worker process holding the documents and the
// variables, run cell by cell, killed and restarted when a cell outruns its hard deadline or
// the process dies.
#pragma once

#include "rlm/document/document_set.hpp"
#include "rlm/lua/cell_result.hpp"
#include "rlm/lua/host.hpp"
#include "rlm/lua/limits.hpp"
#include "rlm/lua/repl.hpp"
#include "rlm/lua/tool_file.hpp"
#include "rlm/util/error.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace rlm::lua {

struct SessionOptions {
  // How long past the cell limit the worker may take to stop by itself before it is killed.
  double grace_seconds = 1.0;
  // When set (Ctrl-C), a running cell is stopped at once: the worker is killed and restarted.
  const std::atomic<bool>* cancel = nullptr;
  // The user's tool files, loaded into every worker before its first cell.
  std::vector<ToolFile> tools = {};
};

// The worker is always confined (rlimits + seccomp, see src/lua/confinement.hpp): nothing
// here can turn that off.
class Session final : public Repl {
public:
  // Starts the worker, which loads `documents` (they must outlive the session), and returns
  // without waiting for it: it gets ready while the caller asks its model, and run() waits.
  // With tool files it does wait, so that a tool file that fails to load (ErrorKind::usage,
  // "tool file dates.lua:3: ...") costs no model call. The error (ErrorKind::internal,
  // "cannot start the Lua REPL: ...") says why it cannot start; so does run()'s when the
  // worker fails while getting ready.
  static Result<std::unique_ptr<Session>> start(const document::DocumentSet& documents,
                                                const Limits& limits, Host& host,
                                                SessionOptions options = {});
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one cell. Every failure of the cell is in the CellResult: a cell past its hard
  // deadline, or a worker that dies or misbehaves, ends with an error of kind timeout or
  // crashed, `state_reset` set, and a fresh worker for the next. The Error (as start()'s)
  // means the REPL is gone: a fresh worker was needed and could not be started.
  Result<CellResult> run(std::string_view code) override;

  // Waits until the worker is ready for cells (run() does this itself); the error is start()'s.
  Result<> ready();

  // The worker's process id (for tests that must kill it from outside).
  pid_t worker_pid() const { return m_pid; }
  // Seconds the last worker start took, from spawn to ready (loading the documents), for
  // benchmarks: known once ready() or a cell has waited for it.
  double last_start_seconds() const { return m_start_seconds; }

private:
  using Clock = std::chrono::steady_clock;
  struct Running; // the cell under way: its start, deadline and sub-calls

  Session(const document::DocumentSet& documents, const Limits& limits, Host& host,
          SessionOptions options);
  Result<> start_worker();  // launch, then wait until ready
  Result<> launch_worker(); // spawn, send Init
  Result<> send_init();
  Result<> await_ready();
  void stop_worker();
  void reap_worker(int& status);
  Result<CellResult> await_result(Running& cell);
  std::optional<Result<CellResult>> take_message(Running& cell);
  std::optional<Result<CellResult>> answer(const std::vector<std::string>& prompts, Running& cell);
  Result<CellResult> lost_worker(CellError::Kind kind, std::string message, double seconds);
  Result<CellResult> died(const Running& cell);
  Result<CellResult> misbehaved(const std::string& why, const Running& cell);
  std::string describe_exit(int status) const;

  const document::DocumentSet& m_documents;
  Limits m_limits;
  Host& m_host;
  SessionOptions m_options;
  std::string m_program; // the rlm-worker executable (worker_program.hpp)
  pid_t m_pid = -1;
  int m_socket = -1;
  bool m_ready = false;         // the worker's Ready frame has arrived
  Clock::time_point m_launched; // when the worker was spawned
  double m_start_seconds = 0;
};

} // namespace rlm::lua
