#include "run_overrides.hpp"

#include "effective_config.hpp"

#include "fatal.hpp"
#include "rlm/providers/factory.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace rlm::cli {

void add_run_override_options(CLI::App& command, RunOverrides& o) {
  command.add_option("--root-model", o.root_model, "Model for the root providers, this run only")
      ->type_name("MODEL");
  command
      .add_option("--sub-model", o.sub_model,
                  "Model for sub-calls (with no sub provider: on the root's server)")
      ->type_name("MODEL");
  command.add_option("--max-iterations", o.max_iterations, "Turns of the root model (1-1000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
  command.add_option("--max-sub-calls", o.max_sub_calls, "Sub-calls in all, nested runs included")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000}));
  command
      .add_option("--max-depth", o.max_depth,
                  "1: sub-calls are plain model calls; 2+: large ones run as nested RLMs")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{8}));
  command
      .add_option("--max-cost", o.max_cost,
                  "Stop the run at this cost (the price keys' currency), then ask for its answer")
      ->check(CLI::PositiveNumber);
  command
      .add_option("--max-seconds", o.max_seconds,
                  "Stop the run after this many seconds, then ask for its answer")
      ->check(CLI::PositiveNumber);
  command
      .add_option("--max-tokens", o.max_tokens,
                  "Stop the run at this many tokens in all calls, then ask for its answer")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000'000}));
  add_tools_option(command, o.tools);
  auto* record = command
                     .add_option("--record", o.record,
                                 "Write every provider exchange to a cassette FILE (for --replay)")
                     ->type_name("FILE");
  command
      .add_option("--replay", o.replay,
                  "Serve the run from a cassette FILE written by --record, with no network")
      ->type_name("FILE")
      ->excludes(record);
  add_cache_options(command, o.cache);
}

void add_cache_options(CLI::App& command, std::optional<bool>& cache) {
  auto* on = command.add_flag_callback(
      "--cache", [&cache] { cache = true; },
      "Answer deterministic model calls from the call cache, and fill it ([cache])");
  command
      .add_flag_callback(
          "--no-cache", [&cache] { cache = false; }, "Neither read nor fill the call cache")
      ->excludes(on);
}

RunTransport::RunTransport(const RunOverrides& o) {
  if (!o.replay.empty()) m_replay = or_exit(http::ReplayTransport::open(o.replay));
  if (!o.record.empty()) m_record = or_exit(http::RecordingTransport::open(o.record, m_network));
}

http::Transport& RunTransport::get() {
  if (m_replay) return *m_replay;
  if (m_record) return *m_record;
  return m_network;
}

Environment RunTransport::environment(const Environment& env) const {
  if (!m_replay) return env;
  return [env](std::string_view name) -> std::optional<std::string> {
    auto value = env(name);
    return value ? value : std::optional<std::string>("rlm-replay-needs-no-key");
  };
}

void RunTransport::finish() {
  if (m_record) or_exit(m_record->finish());
  if (m_replay && m_replay->unused() > 0) {
    spdlog::warn("replay: {} recorded exchange(s) were never asked for; the run ended sooner "
                 "than the recorded one",
                 m_replay->unused());
  }
}

void add_tools_option(CLI::App& command, std::vector<std::string>& tools) {
  command
      .add_option("--tools", tools,
                  "A Lua file of your own tools, loaded into every REPL (repeatable; after "
                  "[sandbox] tools)")
      ->type_name("FILE")
      ->allow_extra_args(false);
}

void apply_run_overrides(config::Config& cfg, const RunOverrides& o) {
  if (o.max_iterations) cfg.max_iterations = *o.max_iterations;
  if (o.max_sub_calls) cfg.max_sub_calls = *o.max_sub_calls;
  if (o.max_depth) cfg.max_depth = *o.max_depth;
  if (o.max_cost) cfg.max_cost = o.max_cost;
  if (o.max_seconds) cfg.max_seconds = o.max_seconds;
  if (o.max_tokens) cfg.max_tokens = o.max_tokens;
  if (o.cache) cfg.cache.enabled = *o.cache;
  // A cassette must hold every exchange, and a replay must not be answered from elsewhere.
  if (!o.record.empty() || !o.replay.empty()) cfg.cache.enabled = false;
  cfg.sandbox.tools.insert(cfg.sandbox.tools.end(), o.tools.begin(), o.tools.end());
  bool has_sub = false;
  for (auto& p : cfg.providers) {
    if (p.role == config::Role::root && !o.root_model.empty()) p.model = o.root_model;
    if (p.role == config::Role::sub) {
      has_sub = true;
      if (!o.sub_model.empty()) p.model = o.sub_model;
    }
  }
  if (!o.sub_model.empty() && !has_sub) {
    for (const auto& p : cfg.providers) {
      if (p.role != config::Role::root) continue;
      auto sub = p;
      sub.role = config::Role::sub;
      sub.model = o.sub_model;
      sub.name = fmt::format("{}:{}", config::to_string(sub.type), o.sub_model);
      cfg.providers.push_back(sub);
      break;
    }
  }
}

namespace {

bool priced(const config::ProviderConfig& p) {
  return p.price_input_per_mtok && p.price_output_per_mtok;
}

// max_cost counts the providers with prices: none is an error; the others are named.
void check_prices(const config::Config& cfg) {
  std::vector<std::string> unpriced;
  for (const auto& p : cfg.providers) {
    if (!priced(p)) unpriced.push_back(p.name);
  }
  if (unpriced.size() == cfg.providers.size()) {
    throw Fatal(
        ExitCode::usage, "max_cost is set, but no provider has prices to count it with",
        "give the providers price_input_per_mtok and price_output_per_mtok (docs/config.md), "
        "or use max_tokens instead");
  }
  if (!unpriced.empty()) {
    spdlog::info("max_cost counts only providers with prices; {} have none, and their calls "
                 "count as free",
                 fmt::join(unpriced, ", "));
  }
}

} // namespace

loop::RunSettings run_settings(const config::Config& cfg) {
  loop::RunSettings settings;
  settings.max_iterations = cfg.max_iterations;
  settings.max_sub_calls = cfg.max_sub_calls;
  settings.max_depth = cfg.max_depth;
  settings.bypass_enabled = cfg.bypass_enabled;
  settings.stream_execution = cfg.stream_execution;
  settings.bypass_threshold = cfg.bypass_threshold;
  settings.prompt_style = cfg.prompt_style;
  settings.split_oversized_prompts = cfg.split_oversized_prompts;
  settings.trajectory_max_text = static_cast<std::size_t>(cfg.trajectory_max_text);
  settings.limits = sandbox_limits(cfg.sandbox);
  settings.tools = or_exit(lua::read_tool_files(cfg.sandbox.tools));
  settings.budgets = {cfg.max_cost, cfg.max_seconds, cfg.max_tokens};
  if (cfg.max_cost) check_prices(cfg);
  return settings;
}

std::unique_ptr<providers::Pool> make_run_pool(const config::Config& cfg,
                                               http::Transport& transport, const Environment& env) {
  auto pool = providers::make_pool(cfg, transport, env);
  if (!pool->serves(config::Role::root)) {
    throw Fatal(ExitCode::usage, "no provider has the root role",
                "add a [[providers]] table with role = \"root\" (see docs/config.md)");
  }
  return pool;
}

std::string root_models(const config::Config& cfg) {
  std::vector<std::string> models;
  for (const auto& p : cfg.providers) {
    if (p.role == config::Role::root &&
        std::find(models.begin(), models.end(), p.model) == models.end())
      models.push_back(p.model);
  }
  return fmt::format("{}", fmt::join(models, ","));
}

} // namespace rlm::cli
