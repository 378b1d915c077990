#include "fake_provider.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace rlm::testing {

FakeProvider::FakeProvider(const nlohmann::json& script) {
  char pattern[] = "/tmp/rlm-fake-provider-XXXXXX";
  m_dir = ::mkdtemp(pattern);
  std::vector<std::string> args = {
      "python3",       RLM_SOURCE_DIR "/tests/fake_provider/fake_provider.py",
      "--port-file",   m_dir + "/port",
      "--log",         m_dir + "/requests.jsonl",
      "--max-seconds", "120"};
  if (!script.is_null()) {
    std::ofstream(m_dir + "/script.json") << script.dump();
    args.insert(args.end(), {"--script", m_dir + "/script.json"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (::posix_spawnp(&m_pid, "python3", nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start python3 for the fake provider");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(m_dir + "/port")) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      throw std::runtime_error(
          "the fake provider exited at start (run fake_provider.py by hand to see why)");
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the fake provider did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream(m_dir + "/port") >> m_port;
}

FakeProvider::~FakeProvider() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
}

std::vector<nlohmann::json> FakeProvider::requests() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(m_dir + "/requests.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

} // namespace rlm::testing
