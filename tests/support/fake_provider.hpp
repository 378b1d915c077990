// Starts tests/fake_provider/fake_provider.py on 127.0.0.1 for one test, and reads back the
// requests it recorded. The server stops itself after a bounded time in any case.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <sys/types.h>
#include <vector>

namespace rlm::testing {

class FakeProvider {
public:
  // `script` is the JSON script (see fake_provider.py); null for the default answer.
  explicit FakeProvider(const nlohmann::json& script = nullptr);
  ~FakeProvider();
  FakeProvider(const FakeProvider&) = delete;
  FakeProvider& operator=(const FakeProvider&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  int port() const { return m_port; }
  // Every request so far: {"method", "path", "body", "authorization_sha256"}.
  std::vector<nlohmann::json> requests() const;

private:
  std::string m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
int unused_port();

} // namespace rlm::testing
