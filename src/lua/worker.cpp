// The Lua worker process: rlm starts it (session.cpp) by running its own executable with
// protocol::k_worker_flag. It loads the documents from the memory file, confines itself,
// and then runs cells on request until its socket closes.
#include "rlm/lua/worker.hpp"

#include "confinement.hpp"
#include "frames.hpp"
#include "protocol.hpp"
#include "sandbox.hpp"

#include "rlm/util/untrusted_json.hpp"

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

using nlohmann::json;

// The worker's side of llm_query: ask the parent over the socket and wait for the answers.
class SocketHost final : public Host {
public:
  explicit SocketHost(int fd) : m_fd(fd) {}

  std::vector<QueryResult> query(const std::vector<std::string>& prompts) override {
    std::vector<QueryResult> results;
    const auto sent = protocol::send(m_fd, frames::query_frame(prompts));
    if (sent == protocol::Sent::peer_gone) ::_exit(0);
    if (sent == protocol::Sent::too_large) {
      m_waited = 0;
      return std::vector<QueryResult>(
          prompts.size(), std::unexpected(std::string("the prompts are too large to send")));
    }
    const auto reply = protocol::receive(m_fd);
    if (!reply) ::_exit(0); // the parent is gone: nothing left to do
    auto answers = frames::answers_from(*reply, prompts.size());
    m_waited = answers.model_seconds;
    return std::move(answers.results);
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

[[noreturn]] void fail(int fd, const std::string& message) {
  (void)protocol::send(fd, json{{"type", "failed"}, {"message", message}});
  ::_exit(1);
}

// Maps the documents' memory file, builds the sandbox over it, and unmaps it again.
std::unique_ptr<Sandbox> load(const json& init, Host& host, int fd) {
  auto sandbox = std::make_unique<Sandbox>(frames::limits_from(init), host, true);
  const auto total =
      static_cast<std::uint64_t>(json_field::count(init, "documents_bytes").value_or(0));
  const auto spans = frames::documents_from(init, total);
  if (!spans) fail(fd, "the REPL's start message lists its documents wrongly");
  const char* base = nullptr;
  void* mapping = MAP_FAILED;
  if (total > 0) {
    mapping = ::mmap(nullptr, total, PROT_READ, MAP_PRIVATE, protocol::k_documents_fd, 0);
    if (mapping == MAP_FAILED)
      fail(fd, std::string("cannot map the documents: ") + std::strerror(errno));
    base = static_cast<const char*>(mapping);
  }
  std::vector<DocumentText> documents;
  for (const auto& d : *spans) {
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

} // namespace

int run_worker_if_requested(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], protocol::k_worker_flag) != 0) return -1;
  const int fd = protocol::k_socket_fd;
  // Die with the parent; leave Ctrl-C, SIGTERM and SIGHUP (sent to the whole process group
  // by a terminal, systemd or docker) to the parent, which decides what a stop means.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGQUIT, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN); // a write past RLIMIT_FSIZE fails instead of killing
  const auto init = protocol::receive(fd);
  const auto* init_type = init ? json_field::string(*init, "type") : nullptr;
  if (init_type == nullptr || *init_type != "init") return 1;
  SocketHost host(fd);
  auto sandbox = load(*init, host, fd);
  pin_time_zone();
  const auto address_space =
      static_cast<std::uint64_t>(json_field::count(*init, "address_space_bytes").value_or(0));
  if (json_field::boolean(*init, "confine").value_or(true)) {
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer's runtime makes system calls of its own (pipe2 to probe memory, ...):
    // sanitizer builds keep the rlimits but not the filter, which session_test.cpp tests
    // directly on a forked child.
    constexpr bool syscall_filter = false;
#else
    constexpr bool syscall_filter = true;
#endif
    if (const auto problem = confine_worker(address_space, syscall_filter); !problem.empty()) {
      fail(fd, "cannot confine the REPL: " + problem);
    }
  }
  (void)protocol::send(fd, json{{"type", "ready"}, {"memory_bytes", sandbox->memory_in_use()}});
  while (const auto message = protocol::receive(fd)) {
    const auto* type = json_field::string(*message, "type");
    const auto* code = json_field::string(*message, "code");
    if (type == nullptr || *type != "cell" || code == nullptr) continue;
    const auto result = sandbox->run(*code);
    const auto sent = protocol::send(fd, frames::to_json(result));
    if (sent == protocol::Sent::too_large) {
      CellResult too_large;
      too_large.read_document = result.read_document;
      too_large.error =
          CellError{CellError::Kind::too_large, "the cell's output was too large to return (it is "
                                                "full of bytes that need escaping); print less"};
      if (protocol::send(fd, frames::to_json(too_large)) != protocol::Sent::ok) break;
    } else if (sent == protocol::Sent::peer_gone) {
      break;
    }
  }
  ::_exit(0); // skip destructors and atexit handlers: the parent has what it needs
}

} // namespace rlm::lua
