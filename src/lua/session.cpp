// The parent's side of the REPL. It is the only defence that bounds everything: whatever
// the worker does (a C function that never returns, a VM crash), the parent's clock keeps
// running and SIGKILL ends it. Time spent answering the worker's llm_query requests is
// added to the deadline, as the worker adds it to its own. A worker that sends anything
// frames.hpp does not decode is treated as crashed: killed, and replaced.
#include "rlm/lua/session.hpp"

#include "frames.hpp"
#include "protocol.hpp"
#include "worker_program.hpp"

#include "rlm/util/display.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rlm::lua {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

enum class Wait { ready, timeout, cancelled };

// Waits until `fd` is readable, `deadline` passes, or `cancel` is set.
Wait wait_readable(int fd, Clock::time_point deadline, const std::atomic<bool>* cancel) {
  for (;;) {
    if (cancel != nullptr && cancel->load()) return Wait::cancelled;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::timeout;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (ready > 0) return Wait::ready;
    if (ready < 0 && errno != EINTR) return Wait::ready; // let the read report it
  }
}

// The environment the worker gets: nothing but the time zone and sanitizer settings. Keys and
// tokens in the parent's environment never enter the process that runs untrusted code.
std::vector<std::string> worker_environment() {
  std::vector<std::string> kept;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("ASAN_OPTIONS=") || entry.starts_with("UBSAN_OPTIONS=") ||
        entry.starts_with("LSAN_OPTIONS=") || entry.starts_with("TZ=")) {
      kept.emplace_back(entry);
    }
  }
  return kept;
}

struct Spawned {
  pid_t pid = -1;
  int socket = -1;
};

// Runs `program` (rlm-worker) with `socket` on k_socket_fd and `documents` on
// k_documents_fd, its standard streams on /dev/null; returns posix_spawn's result.
int spawn_with(const std::string& program, pid_t& pid, int socket, int documents) {
  // Copies above the target numbers first: the sources may themselves be 3 or 4, and the
  // first dup2 would overwrite the second's source.
  const int socket_copy = ::fcntl(socket, F_DUPFD_CLOEXEC, 10);
  const int documents_copy = ::fcntl(documents, F_DUPFD_CLOEXEC, 10);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  // Libraries in the worker (RE2) may write to stderr, which RLIMIT_FSIZE would turn into
  // SIGXFSZ on a redirected stderr: the worker's stderr goes nowhere.
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, socket_copy, protocol::k_socket_fd);
  posix_spawn_file_actions_adddup2(&actions, documents_copy, protocol::k_documents_fd);
  const auto environment = worker_environment();
  std::vector<char*> envp;
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char name[] = "rlm-worker";
  char* argv[] = {name, nullptr};
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(socket_copy);
  ::close(documents_copy);
  return spawned;
}

// Why `program` could not be run, with the fix when it is missing or not executable.
Error unspawnable(const std::string& program, int error) {
  if (program.empty()) {
    return Error{ErrorKind::internal,
                 "cannot start the Lua REPL: /proc/self/exe is unreadable, so rlm-worker cannot "
                 "be found",
                 "set RLM_WORKER_PATH to the rlm-worker executable"};
  }
  if (error == ENOENT || error == EACCES || error == ENOEXEC) {
    return Error{ErrorKind::internal,
                 fmt::format("cannot start the Lua REPL: {}: {}", program, std::strerror(error)),
                 "rlm-worker is built and installed beside rlm: rebuild (cmake --build builds "
                 "both), reinstall, or set RLM_WORKER_PATH to it"};
  }
  return Error{ErrorKind::internal,
               fmt::format("cannot start the Lua REPL: {}", std::strerror(error)), ""};
}

// A worker process and the parent's end of its socket.
Result<Spawned> spawn_worker(const std::string& program, int documents) {
  int sockets[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return fail(ErrorKind::internal,
                fmt::format("cannot start the Lua REPL: socketpair: {}", std::strerror(errno)));
  }
  Spawned worker;
  const int spawned =
      program.empty() ? ENOENT : spawn_with(program, worker.pid, sockets[1], documents);
  ::close(sockets[1]);
  if (spawned != 0) {
    ::close(sockets[0]);
    return std::unexpected(unspawnable(program, spawned));
  }
  // Once a frame has begun, the rest follows at once (the worker writes frames whole): a
  // worker that stalls mid-frame is broken or hostile, and its read fails after 30 s
  // instead of holding the parent forever (the frame is then taken as a dead worker's).
  const timeval stalled{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(sockets[0], SOL_SOCKET, SO_RCVTIMEO, &stalled, sizeof stalled);
  worker.socket = sockets[0];
  return worker;
}

// Sends `reply`, or an error per prompt when it does not fit a frame; false when the worker
// is gone.
bool send_answers(int socket, frames::Answers reply) {
  auto sent = frames::send(socket, reply);
  if (sent == protocol::Sent::too_large) {
    reply.answers.assign(reply.answers.size(),
                         std::unexpected(std::string("the answers are too large to return "
                                                     "together; ask for shorter ones")));
    sent = frames::send(socket, reply);
  }
  return sent == protocol::Sent::ok;
}

// What start-up failed with, for "cannot start the Lua REPL: ...".
std::string why_not_ready(const Result<std::variant<frames::Ready, frames::Failed>>& reply) {
  if (!reply) return reply.error().message;
  return printable(std::get<frames::Failed>(*reply).message, 300);
}

} // namespace

// The cell under way.
struct Session::Running {
  Clock::time_point started;
  Clock::time_point deadline; // moved on by the time spent answering queries
  std::uint64_t sub_calls = 0;
};

Result<std::unique_ptr<Session>> Session::start(const document::DocumentSet& documents,
                                                const Limits& limits, Host& host,
                                                SessionOptions options) {
  std::unique_ptr<Session> session(new Session(documents, limits, host, options));
  if (auto launched = session->launch_worker(); !launched) return std::unexpected(launched.error());
  // A tool file is the user's: one that fails to load must fail here, before the caller
  // spends a model call. Without tools the worker gets ready while the caller goes on.
  if (!session->m_options.tools.empty()) {
    if (auto ready = session->ready(); !ready) return std::unexpected(ready.error());
  }
  return session;
}

Session::Session(const document::DocumentSet& documents, const Limits& limits, Host& host,
                 SessionOptions options)
    : m_documents(documents), m_limits(limits), m_host(host), m_options(options),
      m_program(worker_program()) {
  m_limits.cell_timeout_seconds = std::min(m_limits.cell_timeout_seconds, frames::k_max_seconds);
}

Session::~Session() { stop_worker(); }

Result<> Session::start_worker() {
  if (auto launched = launch_worker(); !launched) return launched;
  return ready();
}

Result<> Session::launch_worker() {
  m_launched = Clock::now();
  m_ready = false;
  auto spawned = spawn_worker(m_program, m_documents.fd());
  if (!spawned) return std::unexpected(spawned.error());
  m_pid = spawned->pid;
  m_socket = spawned->socket;
  return send_init();
}

Result<> Session::ready() {
  if (m_pid < 0) return start_worker();
  if (m_ready) return {};
  if (auto ready = await_ready(); !ready) return ready;
  m_ready = true;
  m_start_seconds = seconds_since(m_launched);
  spdlog::debug("Lua REPL started (pid {}) in {:.3f} s", m_pid, m_start_seconds);
  return {};
}

Result<> Session::send_init() {
  frames::Init init{m_limits, m_documents.total_bytes(), {}, std::nullopt, m_options.tools};
#if !defined(__SANITIZE_ADDRESS__)
  // Virtual memory: the Lua heap's cap, plus room for RE2, the allocator and the mapping of
  // the documents during loading. (AddressSanitizer reserves terabytes: no cap there.)
  init.address_space_bytes = static_cast<std::uint64_t>(m_limits.memory_limit_bytes) +
                             m_documents.total_bytes() + (std::uint64_t{2} << 30);
#endif
  for (const auto& d : m_documents.documents())
    init.documents.push_back({d.name, d.offset, d.bytes});
  const auto sent = frames::send(m_socket, init);
  if (sent == protocol::Sent::ok) return {};
  stop_worker();
  if (sent == protocol::Sent::too_large) {
    return fail(ErrorKind::internal,
                fmt::format("cannot start the Lua REPL: the list of its {} documents is too large",
                            init.documents.size()));
  }
  return fail(ErrorKind::internal, "cannot start the Lua REPL: it did not answer");
}

Result<> Session::await_ready() {
  const auto deadline =
      m_launched + std::chrono::seconds(60) +
      std::chrono::milliseconds(m_documents.total_bytes() / 10'000) + // 10 MB/s at worst
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          m_limits.cell_timeout_seconds * static_cast<double>(m_options.tools.size())));
  std::string why = "it did not answer";
  if (wait_readable(m_socket, deadline, nullptr) == Wait::ready) {
    const auto frame = protocol::receive(m_socket);
    if (frame) {
      const auto reply = frames::decode_one_of<frames::Ready, frames::Failed>(*frame);
      if (reply && std::holds_alternative<frames::Ready>(*reply)) return {};
      if (reply && std::get<frames::Failed>(*reply).tool_file) { // the user's file, not rlm
        stop_worker();
        return fail(ErrorKind::usage, printable(std::get<frames::Failed>(*reply).message, 600),
                    "fix the tool file, or leave it out of [sandbox] tools and --tools");
      }
      why = why_not_ready(reply);
    } else if (frame.error() == protocol::Unreceived::malformed) {
      why = "it sent a frame that is not a JSON object";
    }
  }
  stop_worker();
  return fail(ErrorKind::internal, fmt::format("cannot start the Lua REPL: {}", why));
}

void Session::stop_worker() {
  if (m_socket >= 0) ::close(m_socket);
  m_socket = -1;
  if (m_pid > 0) ::kill(m_pid, SIGKILL);
  int status = 0;
  reap_worker(status);
}

// Waits for the worker to end (the socket is closed, or it was killed) and forgets it.
void Session::reap_worker(int& status) {
  if (m_socket >= 0) ::close(m_socket);
  m_socket = -1;
  if (m_pid > 0) {
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  m_pid = -1;
  m_ready = false;
}

std::string Session::describe_exit(int status) const {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGSYS) return "the sandbox stopped a forbidden system call (SIGSYS)";
    if (signal == SIGKILL) return "the process was killed (SIGKILL; out of memory?)";
    return fmt::format("the Lua VM crashed ({})", ::strsignal(signal));
  }
  if (WEXITSTATUS(status) == 1)
    return "the process exited with status 1 (out of memory outside Lua's heap?)";
  return fmt::format("the process exited with status {}", WEXITSTATUS(status));
}

Result<CellResult> Session::lost_worker(CellError::Kind kind, std::string message, double seconds) {
  CellResult result;
  result.error = CellError{kind, std::move(message)};
  result.seconds = seconds;
  result.state_reset = true;
  stop_worker();
  if (auto started = start_worker(); !started) return std::unexpected(started.error());
  return result;
}

// The worker closed its socket: it is dying (a crash, a forbidden system call, memory).
Result<CellResult> Session::died(const Running& cell) {
  int status = 0;
  // Its exit status is settled before its socket closes; the kill only makes sure that a
  // worker which closed its socket and lives on cannot keep the wait below waiting.
  ::kill(m_pid, SIGKILL);
  reap_worker(status);
  return lost_worker(CellError::Kind::crashed,
                     fmt::format("the REPL process died: {}; it was restarted (variables from "
                                 "earlier cells are gone)",
                                 describe_exit(status)),
                     seconds_since(cell.started));
}

// The worker sent what only a broken or compromised worker sends.
Result<CellResult> Session::misbehaved(const std::string& why, const Running& cell) {
  return lost_worker(CellError::Kind::crashed,
                     fmt::format("the REPL process sent a malformed message ({}), so it was "
                                 "stopped and restarted (variables from earlier cells are gone)",
                                 printable(why, 300)),
                     seconds_since(cell.started));
}

Result<CellResult> Session::run(std::string_view code) {
  if (auto started = ready(); !started) return std::unexpected(started.error());
  const auto started = Clock::now();
  const auto limit =
      std::chrono::duration<double>(m_limits.cell_timeout_seconds + m_options.grace_seconds);
  Running cell{started, started + std::chrono::duration_cast<Clock::duration>(limit)};
  if (code.size() > static_cast<std::size_t>(m_limits.max_source_bytes)) {
    CellResult refused;
    refused.error = CellError{
        CellError::Kind::too_large,
        fmt::format("the cell has {} bytes, over the limit of {}; split it into smaller cells",
                    code.size(), m_limits.max_source_bytes)};
    return refused;
  }
  if (frames::send(m_socket, frames::Cell{std::string(code)}) != protocol::Sent::ok)
    return lost_worker(CellError::Kind::crashed, "the REPL process was gone; it was restarted", 0);
  return await_result(cell);
}

Result<CellResult> Session::await_result(Running& cell) {
  for (;;) {
    const auto waited_for = wait_readable(m_socket, cell.deadline, m_options.cancel);
    if (waited_for == Wait::cancelled) {
      return lost_worker(CellError::Kind::interrupted,
                         "interrupted: the cell was stopped and the REPL restarted",
                         seconds_since(cell.started));
    }
    if (waited_for == Wait::timeout) {
      return lost_worker(
          CellError::Kind::timeout,
          fmt::format("time limit: the cell ran past {} s and did not stop, so the REPL "
                      "process was killed and restarted (variables from earlier cells are gone)",
                      m_limits.cell_timeout_seconds),
          seconds_since(cell.started));
    }
    if (auto ended = take_message(cell)) return std::move(*ended);
  }
}

// Reads the worker's next message: what the cell ended with, or nothing while it runs on.
std::optional<Result<CellResult>> Session::take_message(Running& cell) {
  const auto frame = protocol::receive(m_socket);
  if (!frame && frame.error() == protocol::Unreceived::closed) return died(cell);
  if (!frame) return misbehaved("a frame that is not a JSON object", cell);
  auto message = frames::decode_one_of<frames::Query, CellResult, frames::Failed>(*frame);
  if (!message) return misbehaved(message.error().message, cell);
  if (const auto* query = std::get_if<frames::Query>(&*message)) {
    if (const auto* why = frames::refusal_of(*query)) return misbehaved(why, cell);
    return answer(query->prompts, cell);
  }
  if (const auto* failed = std::get_if<frames::Failed>(&*message)) {
    return lost_worker(CellError::Kind::crashed,
                       fmt::format("the REPL process stopped ({}); it was restarted (variables "
                                   "from earlier cells are gone)",
                                   printable(failed->message, 300)),
                       seconds_since(cell.started));
  }
  auto result = std::get<CellResult>(std::move(*message));
  if (const auto* why = frames::refusal_of(result)) return misbehaved(why, cell);
  result.seconds = seconds_since(cell.started);
  result.sub_calls = std::max(result.sub_calls, cell.sub_calls);
  return result;
}

// Answers a query through the host and sends the answers back; what the cell ended with
// when it cannot go on (the host stops the run, or the worker is gone), else nothing.
std::optional<Result<CellResult>> Session::answer(const std::vector<std::string>& prompts,
                                                  Running& cell) {
  const auto asked = Clock::now();
  auto results = m_host.query(prompts);
  results.resize(prompts.size(), std::unexpected(std::string("no answer")));
  cell.sub_calls += prompts.size();
  const auto waited = Clock::now() - asked;
  const bool sent =
      send_answers(m_socket, {std::move(results), std::chrono::duration<double>(waited).count()});
  cell.deadline += waited;
  if (const auto why = m_host.stop_reason()) {
    // The run ends: the worker is stopped, not restarted (run() starts one if asked).
    stop_worker();
    CellResult aborted;
    aborted.error = CellError{CellError::Kind::aborted, *why};
    aborted.seconds = seconds_since(cell.started);
    aborted.sub_calls = cell.sub_calls;
    aborted.state_reset = true;
    return aborted;
  }
  if (!sent) return died(cell);
  return std::nullopt;
}

} // namespace rlm::lua
