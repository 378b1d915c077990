// The Lua worker process: rlm starts it (session.cpp) by running the rlm-worker executable
// (src/worker_main.cpp). It loads the documents from the memory file, confines itself,
// and then runs cells on request until its socket closes. A message from the parent that
// does not decode (frames.hpp) ends it with a "failed" message saying why.
#include "rlm/lua/worker.hpp"

#include "confinement.hpp"
#include "frames.hpp"
#include "protocol.hpp"
#include "sandbox.hpp"

#include <array>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rlm::lua {

namespace {

[[noreturn]] void fail(int fd, const std::string& message, bool tool_file = false);
template <class M> M receive(int fd);

// The worker's side of llm_query: ask the parent over the socket and wait for the answers.
class SocketHost final : public Host {
public:
  explicit SocketHost(int fd) : m_fd(fd) {}

  std::vector<QueryResult> query(const std::vector<std::string>& prompts) override {
    const auto sent = frames::send(m_fd, frames::Query{prompts});
    if (sent == protocol::Sent::peer_gone) ::_exit(0); // the parent is gone: nothing left to do
    if (sent == protocol::Sent::too_large) {
      m_waited = 0;
      return std::vector<QueryResult>(
          prompts.size(), std::unexpected(std::string("the prompts are too large to send")));
    }
    auto reply = receive<frames::Answers>(m_fd);
    if (reply.answers.size() != prompts.size()) {
      fail(m_fd, "it received " + std::to_string(reply.answers.size()) + " answers to " +
                     std::to_string(prompts.size()) + " prompts");
    }
    m_waited = reply.model_seconds;
    return std::move(reply.answers);
  }

  std::optional<double> last_wait_seconds() const override { return m_waited; }

private:
  int m_fd;
  double m_waited = 0;
};

// A POSIX TZ rule that needs no file: a standard zone and offset only ("EST5"), or with
// its daylight-saving dates spelled out ("EST5EDT,M3.2.0,M11.1.0"). A rule with a DST name
// but no dates makes glibc read its "posixrules" file on every call.
bool self_contained_rule(std::string_view rule) {
  // A zone name: letters, or anything in <...> ("<+04>").
  const auto take_name = [](std::string_view& r) {
    std::size_t n = 0;
    if (!r.empty() && r.front() == '<') {
      n = r.find('>');
      if (n == std::string_view::npos) return false;
      ++n;
    } else {
      while (n < r.size() && std::isalpha(static_cast<unsigned char>(r[n])) != 0) ++n;
    }
    r.remove_prefix(n);
    return n >= 3;
  };
  const auto take_offset = [](std::string_view& r) {
    std::size_t n = 0;
    while (n < r.size() && (std::isdigit(static_cast<unsigned char>(r[n])) != 0 || r[n] == '+' ||
                            r[n] == '-' || r[n] == ':'))
      ++n;
    r.remove_prefix(n);
    return n > 0;
  };
  std::string_view r = rule;
  if (!take_name(r) || !take_offset(r)) return false; // ":zone", "/path", "Europe/Paris"
  if (r.empty()) return true;                         // no daylight saving
  if (!take_name(r)) return false;
  take_offset(r);
  return !r.empty() && r.front() == ','; // daylight saving needs its dates
}

// The POSIX rule at the end of a TZif file, or "" if `path` is not a small regular zone
// file under the system's zone directory (never any other file: its last line would
// become visible through os.date("%Z")).
std::string rule_from_zone_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) return {};
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return {};
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  data.resize(std::fread(data.data(), 1, data.size(), file));
  std::fclose(file);
  if (!data.starts_with("TZif") || data.size() < 3 || data.back() != '\n') return {};
  const auto start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) return {};
  const auto rule = data.substr(start + 1, data.size() - start - 2);
  return self_contained_rule(rule) ? rule : std::string();
}

// glibc's mktime (os.time) stats the time zone file on every call, which the seccomp
// filter forbids: set TZ to a rule that needs no file, taken from the zone file, and use
// each time function once while files can still be read.
void pin_time_zone() {
  const char* tz = std::getenv("TZ");
  std::string rule;
  if (tz == nullptr || *tz == '\0') {
    rule = rule_from_zone_file("/etc/localtime");
  } else if (self_contained_rule(tz)) {
    rule = tz;
  } else {
    std::string name = tz[0] == ':' ? tz + 1 : tz;
    const std::string zones = "/usr/share/zoneinfo/";
    if (name.starts_with(zones)) name.erase(0, zones.size());
    if (!name.empty() && name.front() != '/' && name.find("..") == std::string::npos) {
      rule = rule_from_zone_file(zones + name);
    }
  }
  ::setenv("TZ", rule.empty() ? "UTC0" : rule.c_str(), 1);
  ::tzset();
  std::time_t now = std::time(nullptr);
  std::tm parts{};
  ::localtime_r(&now, &parts);
  (void)std::mktime(&parts);
}

// Tells the parent why the worker stops, and exits: with status 1 once the parent has the
// reason, cleanly (0) when the parent is gone.
[[noreturn]] void fail(int fd, const std::string& message, bool tool_file) {
  const frames::Failed failed{message, tool_file ? std::optional(true) : std::nullopt};
  if (frames::send(fd, failed) != protocol::Sent::ok) ::_exit(0);
  ::_exit(1);
}

// The next message from the parent, which must be an M. The worker exits when the parent is
// gone, and fails on anything else: a parent that sends it is broken, and nothing can go on.
template <class M> M receive(int fd) {
  const auto frame = protocol::receive(fd);
  if (!frame && frame.error() == protocol::Unreceived::closed) ::_exit(0);
  if (!frame) fail(fd, "it received a frame that is not a JSON object");
  auto message = frames::decode<M>(*frame);
  if (!message) fail(fd, "it received " + message.error().message);
  return std::move(*message);
}

// Maps the documents' memory file, builds the sandbox over it, and unmaps it again. The
// decoder has checked that every document lies inside the file.
std::unique_ptr<Sandbox> load(const frames::Init& init, Host& host, int fd) {
  auto sandbox = std::make_unique<Sandbox>(init.limits, host, true);
  const auto total = init.documents_bytes;
  const char* base = nullptr;
  void* mapping = MAP_FAILED;
  if (total > 0) {
    mapping = ::mmap(nullptr, total, PROT_READ, MAP_PRIVATE, protocol::k_documents_fd, 0);
    if (mapping == MAP_FAILED)
      fail(fd, std::string("cannot map the documents: ") + std::strerror(errno));
    base = static_cast<const char*>(mapping);
  }
  std::vector<DocumentText> documents;
  for (const auto& d : init.documents) {
    documents.push_back({d.name, base == nullptr ? std::string_view()
                                                 : std::string_view(base + d.offset, d.bytes)});
  }
  try {
    sandbox->load_documents(documents);
  } catch (const std::exception& e) {
    fail(fd, e.what());
  }
  if (mapping != MAP_FAILED) ::munmap(mapping, total);
  ::close(protocol::k_documents_fd);
  return sandbox;
}

// Die with the parent; leave Ctrl-C, SIGTERM and SIGHUP (sent to the whole process group by
// a terminal, systemd or docker) to the parent, which decides what a stop means.
void ignore_signals() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGQUIT, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN); // a write past RLIMIT_FSIZE fails instead of killing
}

// The rlimits and, outside sanitizer builds, the seccomp filter; the worker fails without.
void confine(const frames::Init& init, int fd) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer's runtime makes system calls of its own (pipe2 to probe memory, ...):
  // sanitizer builds keep the rlimits but not the filter, which session_test.cpp tests
  // directly on a forked child.
  constexpr bool syscall_filter = false;
#else
  constexpr bool syscall_filter = true;
#endif
  const auto problem = confine_worker(init.address_space_bytes.value_or(0), syscall_filter);
  if (!problem.empty()) fail(fd, "cannot confine the REPL: " + problem);
}

// Sends a cell's result, or a smaller error when it does not fit a frame; false when the
// parent is gone.
bool send_result(int fd, const CellResult& result) {
  const auto sent = frames::send(fd, result);
  if (sent != protocol::Sent::too_large) return sent == protocol::Sent::ok;
  CellResult too_large;
  too_large.read_document = result.read_document;
  too_large.error =
      CellError{CellError::Kind::too_large, "the cell's output was too large to return (it is "
                                            "full of bytes that need escaping); print less"};
  return frames::send(fd, too_large) == protocol::Sent::ok;
}

} // namespace

void run_worker() {
  const int fd = protocol::k_socket_fd;
  ignore_signals();
  const auto init = receive<frames::Init>(fd);
  SocketHost host(fd);
  auto sandbox = load(init, host, fd);
  pin_time_zone();
  confine(init, fd);
  for (const auto& tool : init.tools) { // confined: the user's code runs as the model's does
    if (const auto problem = sandbox->load_tool(tool)) fail(fd, *problem, true);
  }
  if (frames::send(fd, frames::Ready{sandbox->memory_in_use()}) == protocol::Sent::ok) {
    while (send_result(fd, sandbox->run(receive<frames::Cell>(fd).code))) {
    }
  }
  ::_exit(0); // skip destructors and atexit handlers: the parent has what it needs
}

} // namespace rlm::lua
