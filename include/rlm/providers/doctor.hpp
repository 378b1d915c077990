// `rlm doctor`'s checks of one configured provider: is a key there where one is needed, does
// the server answer (and which version), does it have the model, how long is the model's
// context. Each failure carries its fix. The CLI renders the findings.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/util/environment.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rlm::providers {

struct Finding {
  enum class Status { ok, warn, fail, skipped };
  std::string check; // "key", "server", "model", "context"
  Status status = Status::skipped;
  std::string value;  // short, for the table: "set", "Ollama 0.6.8", "found", "32768"
  std::string detail; // one line: what was found, and for warn/fail, the fix
};

struct Examination {
  const config::ProviderConfig* provider = nullptr;
  std::vector<Finding> findings; // key, server, model, context: always in this order
  std::optional<std::int64_t> context_length;

  // A provider is usable unless some check failed.
  bool usable() const;
  const Finding& finding(std::string_view check) const;
};

const char* to_string(Finding::Status status);

// Runs every check against `provider`'s server. Never throws for a network problem: that is
// a finding.
Examination examine(const config::ProviderConfig& provider, const config::HttpSettings& http,
                    http::Transport& transport, const Environment& env);

} // namespace rlm::providers
