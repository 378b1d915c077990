// Flags that change the models and budgets of runs for one command (rlm ask, rlm bench),
// and the loop settings a config gives.
#pragma once

#include "rlm/config/config.hpp"
#include "rlm/http/cassette.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/http/transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/pool.hpp"
#include "rlm/util/environment.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlm::cli {

struct RunOverrides {
  std::string root_model;
  std::string sub_model;
  std::optional<std::int64_t> max_iterations;
  std::optional<std::int64_t> max_sub_calls;
  std::optional<std::int64_t> max_depth;
  std::optional<double> max_cost;
  std::optional<double> max_seconds;
  std::optional<std::int64_t> max_tokens;
  std::vector<std::string> tools; // --tools FILE, after [sandbox] tools
  std::string record;             // --record FILE: a cassette of every provider exchange
  std::string replay;             // --replay FILE: serve the run from a cassette
};

// The transport of a run: the network, recorded to a cassette with --record, or a cassette
// in its place with --replay (rlm/http/cassette.hpp).
class RunTransport {
public:
  explicit RunTransport(const RunOverrides& overrides); // throws Fatal for an unusable file
  http::Transport& get();
  // Under --replay, an API key variable that is unset reads as a stand-in: the recorded
  // replies need no key, and the cassette holds none.
  Environment environment(const Environment& env) const;
  // Finishes the cassette (--record), or warns of recorded exchanges never asked for
  // (--replay). Throws Fatal when the cassette cannot be written.
  void finish();

private:
  http::CurlTransport m_network;
  std::unique_ptr<http::RecordingTransport> m_record;
  std::unique_ptr<http::ReplayTransport> m_replay;
};

// Registers --root-model, --sub-model, --max-iterations, --max-sub-calls, --max-depth, and
// the budgets --max-cost, --max-seconds, --max-tokens, --tools, --record and --replay.
void add_run_override_options(CLI::App& command, RunOverrides& overrides);
// Registers --tools FILE alone (rlm lua).
void add_tools_option(CLI::App& command, std::vector<std::string>& tools);

// Applies them. --sub-model with no sub provider adds one on the first root provider's
// server.
void apply_run_overrides(config::Config& cfg, const RunOverrides& overrides);

// The loop's settings from the config, the tool files read. Throws Fatal (usage) for a
// max_cost that no provider has prices to count, or a tool file that cannot be read.
loop::RunSettings run_settings(const config::Config& cfg);

// The pool of a run; throws Fatal (usage) when no provider has the root role.
std::unique_ptr<providers::Pool> make_run_pool(const config::Config& cfg,
                                               http::Transport& transport, const Environment& env);

// The root providers' models, comma-separated ("" when none).
std::string root_models(const config::Config& cfg);

} // namespace rlm::cli
