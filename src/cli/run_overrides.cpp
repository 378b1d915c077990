#include "run_overrides.hpp"

#include "effective_config.hpp"

#include "fatal.hpp"
#include "rlm/providers/factory.hpp"

#include <fmt/format.h>

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
}

void apply_run_overrides(config::Config& cfg, const RunOverrides& o) {
  if (o.max_iterations) cfg.max_iterations = *o.max_iterations;
  if (o.max_sub_calls) cfg.max_sub_calls = *o.max_sub_calls;
  if (o.max_depth) cfg.max_depth = *o.max_depth;
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

loop::RunSettings run_settings(const config::Config& cfg) {
  loop::RunSettings settings;
  settings.max_iterations = cfg.max_iterations;
  settings.max_sub_calls = cfg.max_sub_calls;
  settings.max_depth = cfg.max_depth;
  settings.bypass_enabled = cfg.bypass_enabled;
  settings.bypass_threshold = cfg.bypass_threshold;
  settings.prompt_style = cfg.prompt_style;
  settings.limits = sandbox_limits(cfg.sandbox);
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
