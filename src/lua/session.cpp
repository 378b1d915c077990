// The parent's side of the REPL. It is the only defence that bounds everything: whatever
// the worker does (a C function that never returns, a VM crash), the parent's clock keeps
// running and SIGKILL ends it. Time spent answering the worker's llm_query requests is
// added to the deadline, as the worker adds it to its own.
#include "rlm/lua/session.hpp"

#include "frames.hpp"
#include "protocol.hpp"

#include "rlm/util/display.hpp"
#include "rlm/util/fatal.hpp"
#include "rlm/util/untrusted_json.hpp"

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
using nlohmann::json;

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

} // namespace

Session::Session(const document::DocumentSet& documents, const Limits& limits, Host& host,
                 SessionOptions options)
    : m_documents(documents), m_limits(limits), m_host(host), m_options(options) {
  start_worker();
}

Session::~Session() { stop_worker(); }

void Session::start_worker() {
  const auto started = Clock::now();
  int sockets[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    throw Fatal(ExitCode::failure,
                fmt::format("cannot start the Lua REPL: socketpair: {}", std::strerror(errno)));
  }
  // Copies above the target numbers first: the sources may themselves be 3 or 4, and the
  // first dup2 would overwrite the second's source.
  const int socket_copy = ::fcntl(sockets[1], F_DUPFD_CLOEXEC, 10);
  const int documents_copy = ::fcntl(m_documents.fd(), F_DUPFD_CLOEXEC, 10);
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
  char program[] = "rlm";
  char flag[] = "__rlm_lua_worker";
  char* argv[] = {program, flag, nullptr};
  const int spawned = ::posix_spawn(&m_pid, "/proc/self/exe", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(sockets[1]);
  ::close(socket_copy);
  ::close(documents_copy);
  m_socket = sockets[0];
  if (spawned != 0) {
    m_pid = -1;
    stop_worker();
    throw Fatal(ExitCode::failure,
                fmt::format("cannot start the Lua REPL: {}", std::strerror(spawned)));
  }
  json init = {{"type", "init"},
               {"confine", m_options.confine},
               {"limits", frames::to_json(m_limits)},
               {"documents_bytes", m_documents.total_bytes()},
               {"documents", json::array()}};
#if !defined(__SANITIZE_ADDRESS__)
  // Virtual memory: the Lua heap's cap, plus room for RE2, the allocator and the mapping of
  // the documents during loading. (AddressSanitizer reserves terabytes: no cap there.)
  init["address_space_bytes"] = static_cast<std::uint64_t>(m_limits.memory_limit_bytes) +
                                m_documents.total_bytes() + (std::uint64_t{2} << 30);
#endif
  for (const auto& d : m_documents.documents()) {
    init["documents"].push_back({{"name", d.name}, {"offset", d.offset}, {"bytes", d.bytes}});
  }
  (void)protocol::send(m_socket, init);
  const auto deadline =
      Clock::now() + std::chrono::seconds(60) +
      std::chrono::milliseconds(m_documents.total_bytes() / 10'000); // 10 MB/s at worst
  std::optional<json> ready;
  if (wait_readable(m_socket, deadline, nullptr) == Wait::ready)
    ready = protocol::receive(m_socket);
  const auto* type = ready ? json_field::string(*ready, "type") : nullptr;
  if (type == nullptr || *type != "ready") {
    const auto* message = ready ? json_field::string(*ready, "message") : nullptr;
    const std::string why = message != nullptr ? printable(*message, 300)
                            : ready            ? "it did not start"
                                               : "it did not answer";
    stop_worker();
    throw Fatal(ExitCode::failure, fmt::format("cannot start the Lua REPL: {}", why));
  }
  m_start_seconds = seconds_since(started);
  spdlog::debug("Lua REPL started (pid {}) in {:.3f} s", m_pid, m_start_seconds);
}

void Session::stop_worker() {
  if (m_socket >= 0) ::close(m_socket);
  m_socket = -1;
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  m_pid = -1;
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

CellResult Session::lost_worker(CellError::Kind kind, std::string message, double seconds) {
  CellResult result;
  result.error = CellError{kind, std::move(message)};
  result.seconds = seconds;
  result.state_reset = true;
  stop_worker();
  start_worker();
  return result;
}

CellResult Session::run(std::string_view code) {
  if (m_pid < 0) start_worker();
  const auto started = Clock::now();
  const auto limit =
      std::chrono::duration<double>(m_limits.cell_timeout_seconds + m_options.grace_seconds);
  auto deadline = started + std::chrono::duration_cast<Clock::duration>(limit);
  std::uint64_t sub_calls = 0;
  if (code.size() > static_cast<std::size_t>(m_limits.max_source_bytes)) {
    CellResult refused;
    refused.error = CellError{
        CellError::Kind::too_large,
        fmt::format("the cell has {} bytes, over the limit of {}; split it into smaller cells",
                    code.size(), m_limits.max_source_bytes)};
    return refused;
  }
  if (protocol::send(m_socket, json{{"type", "cell"}, {"code", std::string(code)}}) !=
      protocol::Sent::ok) {
    return lost_worker(CellError::Kind::crashed, "the REPL process was gone; it was restarted", 0);
  }
  for (;;) {
    const auto waited_for = wait_readable(m_socket, deadline, m_options.cancel);
    if (waited_for == Wait::cancelled) {
      ::kill(m_pid, SIGKILL);
      return lost_worker(CellError::Kind::interrupted,
                         "interrupted: the cell was stopped and the REPL restarted",
                         seconds_since(started));
    }
    if (waited_for == Wait::timeout) {
      ::kill(m_pid, SIGKILL);
      return lost_worker(
          CellError::Kind::timeout,
          fmt::format("time limit: the cell ran past {} s and did not stop, so the REPL "
                      "process was killed and restarted (variables from earlier cells are gone)",
                      m_limits.cell_timeout_seconds),
          seconds_since(started));
    }
    const auto message = protocol::receive(m_socket);
    if (!message) {
      int status = 0;
      ::close(m_socket);
      m_socket = -1;
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
      m_pid = -1;
      return lost_worker(
          CellError::Kind::crashed,
          fmt::format("the REPL process died: {}; it was restarted (variables from earlier "
                      "cells are gone)",
                      describe_exit(status)),
          seconds_since(started));
    }
    const auto* type = json_field::string(*message, "type");
    if (type != nullptr && *type == "query") {
      const auto asked = Clock::now();
      const auto prompts = frames::prompts_from(*message);
      if (!prompts) { // only a broken or compromised worker sends this
        ::kill(m_pid, SIGKILL);
        return lost_worker(CellError::Kind::crashed,
                           "the REPL process sent a malformed request, so it was stopped and "
                           "restarted (variables from earlier cells are gone)",
                           seconds_since(started));
      }
      auto results = m_host.query(*prompts);
      results.resize(prompts->size(), std::unexpected(std::string("no answer")));
      sub_calls += prompts->size();
      const auto waited = Clock::now() - asked;
      (void)protocol::send(
          m_socket, frames::answers_frame(results, std::chrono::duration<double>(waited).count()));
      deadline += waited;
      if (const auto why = m_host.stop_reason()) {
        // The run ends: the worker is stopped, not restarted (run() starts one if asked).
        stop_worker();
        CellResult aborted;
        aborted.error = CellError{CellError::Kind::aborted, *why};
        aborted.seconds = seconds_since(started);
        aborted.sub_calls = sub_calls;
        aborted.state_reset = true;
        return aborted;
      }
    } else if (type != nullptr && *type == "result") {
      auto result = frames::result_from(*message);
      result.seconds = seconds_since(started);
      result.sub_calls = std::max(result.sub_calls, sub_calls);
      return result;
    }
  }
}

} // namespace rlm::lua
