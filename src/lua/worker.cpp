// The Lua worker process: rlm starts it (session.cpp) by running its own executable with
// protocol::k_worker_flag. It loads the documents from the memory file, confines itself,
// and then runs cells on request until its socket closes.
#include "rlm/lua/worker.hpp"

#include "confinement.hpp"
#include "protocol.hpp"
#include "sandbox.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>
#include <sys/mman.h>
#include <sys/prctl.h>
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
    if (!protocol::send(m_fd, json{{"type", "query"}, {"prompts", prompts}})) ::_exit(0);
    const auto reply = protocol::receive(m_fd);
    if (!reply) ::_exit(0); // the parent is gone: nothing left to do
    for (const auto& answer : reply->value("answers", json::array())) {
      if (answer.contains("text")) {
        results.emplace_back(answer["text"].get<std::string>());
      } else {
        results.emplace_back(std::unexpected(answer.value("error", std::string("no answer"))));
      }
    }
    return results;
  }

private:
  int m_fd;
};

Limits limits_from(const json& j) {
  Limits limits;
  limits.cell_timeout_seconds = j.value("cell_timeout_seconds", limits.cell_timeout_seconds);
  limits.memory_limit_bytes = j.value("memory_limit_bytes", limits.memory_limit_bytes);
  limits.max_output_bytes = j.value("max_output_bytes", limits.max_output_bytes);
  limits.max_source_bytes = j.value("max_source_bytes", limits.max_source_bytes);
  limits.max_error_bytes = j.value("max_error_bytes", limits.max_error_bytes);
  return limits;
}

json to_json(const CellResult& r) {
  json j = {{"type", "result"},
            {"output", r.output},
            {"output_dropped", r.output_dropped},
            {"seconds", r.seconds},
            {"memory_bytes", r.memory_bytes},
            {"peak_memory_bytes", r.peak_memory_bytes},
            {"sub_calls", r.sub_calls}};
  if (r.error) j["error"] = {{"kind", to_string(r.error->kind)}, {"message", r.error->message}};
  if (r.final_answer) j["final"] = *r.final_answer;
  return j;
}

// glibc's mktime (os.time) stats the time zone file on every call, which the seccomp
// filter forbids. A TZif file ends with the zone's rule as a POSIX TZ string ("CET-1CEST,
// M3.5.0,M10.5.0/3"): set TZ to it, and the C library never needs the file again.
void pin_time_zone() {
  const char* tz = std::getenv("TZ");
  std::string path = "/etc/localtime";
  if (tz != nullptr && *tz != '\0') {
    // A zone name ("Europe/Paris", ":UTC") names a file; anything else is already a rule.
    path = tz[0] == ':' ? tz + 1 : tz;
    if (!path.starts_with("/")) path = "/usr/share/zoneinfo/" + path;
    if (::access(path.c_str(), R_OK) != 0) {
      // A rule ("EST5EDT") has an offset digit; anything else is a zone that does not
      // exist, which the C library would look for on every call: use UTC, as it would.
      const std::string_view value(tz);
      const bool rule = value.find('/') == std::string_view::npos &&
                        value.find_first_of("0123456789") != std::string_view::npos;
      if (!rule) ::setenv("TZ", "UTC0", 1);
      ::tzset();
      return;
    }
  }
  std::string rule = "UTC0";
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    std::string data;
    std::array<char, 4096> buffer{};
    for (std::size_t got = 0; (got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0;)
      data.append(buffer.data(), got);
    std::fclose(file);
    if (data.size() > 2 && data.back() == '\n') {
      const auto start = data.rfind('\n', data.size() - 2);
      if (start != std::string::npos && start + 1 < data.size() - 1)
        rule = data.substr(start + 1, data.size() - start - 2);
    }
  }
  ::setenv("TZ", rule.c_str(), 1);
  ::tzset();
}

[[noreturn]] void fail(int fd, const std::string& message) {
  protocol::send(fd, json{{"type", "failed"}, {"message", message}});
  ::_exit(1);
}

// Maps the documents' memory file, builds the sandbox over it, and unmaps it again.
std::unique_ptr<Sandbox> load(const json& init, Host& host, int fd) {
  auto sandbox = std::make_unique<Sandbox>(limits_from(init.value("limits", json::object())), host);
  const auto total = init.value("documents_bytes", std::uint64_t{0});
  const char* base = nullptr;
  void* mapping = MAP_FAILED;
  if (total > 0) {
    mapping = ::mmap(nullptr, total, PROT_READ, MAP_PRIVATE, protocol::k_documents_fd, 0);
    if (mapping == MAP_FAILED)
      fail(fd, std::string("cannot map the documents: ") + std::strerror(errno));
    base = static_cast<const char*>(mapping);
  }
  std::vector<DocumentText> documents;
  // By reference into `init`: the views below must outlive this loop.
  const auto& listed = init.at("documents");
  for (const auto& d : listed) {
    const auto& name = d["name"].get_ref<const std::string&>();
    documents.push_back({name, std::string_view(base + d["offset"].get<std::uint64_t>(),
                                                d["bytes"].get<std::uint64_t>())});
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
  // Die with the parent; leave Ctrl-C to the parent, which decides what a stop means.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGQUIT, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  const auto init = protocol::receive(fd);
  if (!init || init->value("type", "") != "init") return 1;
  SocketHost host(fd);
  auto sandbox = load(*init, host, fd);
  pin_time_zone();
  const auto address_space = init->value("address_space_bytes", std::uint64_t{0});
  if (init->value("confine", true)) {
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
  protocol::send(fd, json{{"type", "ready"}, {"memory_bytes", sandbox->memory_in_use()}});
  while (const auto message = protocol::receive(fd)) {
    if (message->value("type", "") != "cell") continue;
    const auto& code = (*message)["code"].get_ref<const std::string&>();
    if (!protocol::send(fd, to_json(sandbox->run(code)))) break;
  }
  ::_exit(0); // skip destructors and atexit handlers: the parent has what it needs
}

} // namespace rlm::lua
