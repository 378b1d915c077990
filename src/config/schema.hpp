// The one list of configuration keys. Each `visit_*` function calls a visitor once per key
// with the key's name, the member that holds it and the rule its value must follow; the
// loader, `config show` and the key lists for suggestions are all visitors, so a key is
// named in exactly one place.
#pragma once

#include "rlm/config/config.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace rlm::config::schema {

// Rules a value must follow, passed to visitors beside the member.
struct IntRange {
  std::int64_t min;
  std::int64_t max;
};
struct NumberRange {
  double min;
  double max;
  bool min_exclusive = false;
};
struct Plain {}; // booleans and enumerations: the type says it all
struct AnyText {};
struct NonEmptyText {};
struct HttpUrl {};
struct EnvVarName {};
struct LengthSpec {}; // "4k..128k" or "4k,32k,1m"
struct FilePaths {};  // an array of paths, relative to the config file

inline constexpr std::int64_t k_max_int = 1'000'000'000;

// Top-level scalar keys.
void visit_top_level(auto& c, auto& v) {
  v("max_iterations", c.max_iterations, IntRange{1, 1000});
  v("max_sub_calls", c.max_sub_calls, IntRange{0, 1'000'000});
  v("max_depth", c.max_depth, IntRange{1, 8});
  v("bypass_enabled", c.bypass_enabled, Plain{});
  v("bypass_threshold", c.bypass_threshold, IntRange{0, k_max_int});
  v("stream_execution", c.stream_execution, Plain{});
  v("max_cost", c.max_cost, NumberRange{0.0, 1e9, true});
  v("max_seconds", c.max_seconds, NumberRange{0.0, 7.0 * 86400.0, true});
  v("max_tokens", c.max_tokens, IntRange{1, 1'000'000'000'000});
  v("prompts_dir", c.prompts_dir, AnyText{});
  v("prompt_style", c.prompt_style, Plain{});
  v("split_oversized_prompts", c.split_oversized_prompts, Plain{});
  v("trajectory_max_text", c.trajectory_max_text, IntRange{0, k_max_int});
}

// Keys of one [[providers]] table. `provider_type` and `role` are read by the loader first
// (other defaults depend on them) but are listed here so they render and suggest alike.
void visit_provider(auto& p, auto& v) {
  v("provider_type", p.type, Plain{});
  v("name", p.name, NonEmptyText{});
  v("base_url", p.base_url, HttpUrl{});
  v("model", p.model, NonEmptyText{});
  v("role", p.role, Plain{});
  v("weight", p.weight, NumberRange{0.0, 1e6, true});
  v("api_key_env", p.api_key_env, EnvVarName{});
  v("max_concurrency", p.max_concurrency, IntRange{1, 1024});
  v("context_length", p.context_length, IntRange{256, 100'000'000});
  v("max_tokens", p.max_tokens, IntRange{1, 10'000'000});
  v("temperature", p.temperature, NumberRange{0.0, 2.0});
  v("think", p.think, Plain{});
  v("price_input_per_mtok", p.price_input_per_mtok, NumberRange{0.0, 1e6});
  v("price_cached_input_per_mtok", p.price_cached_input_per_mtok, NumberRange{0.0, 1e6});
  v("price_output_per_mtok", p.price_output_per_mtok, NumberRange{0.0, 1e6});
}

void visit_sandbox(auto& s, auto& v) {
  v("cell_timeout_seconds", s.cell_timeout_seconds, NumberRange{0.0, 86400.0, true});
  v("memory_limit_mb", s.memory_limit_mb, IntRange{16, 1024 * 1024});
  // Ceilings keep every message between rlm and its REPL process under one frame.
  v("max_output_bytes", s.max_output_bytes, IntRange{256, 4 << 20});
  v("max_source_bytes", s.max_source_bytes, IntRange{256, 16 << 20});
  v("max_error_bytes", s.max_error_bytes, IntRange{64, 1 << 20});
  v("tools", s.tools, FilePaths{});
}

void visit_http(auto& h, auto& v) {
  v("connect_timeout_seconds", h.connect_timeout_seconds, NumberRange{0.0, 3600.0, true});
  v("idle_timeout_seconds", h.idle_timeout_seconds, NumberRange{0.0, 86400.0, true});
  v("request_timeout_seconds", h.request_timeout_seconds, NumberRange{0.0, 7.0 * 86400.0, true});
  v("max_retries", h.max_retries, IntRange{0, 100});
  v("max_retry_delay_seconds", h.max_retry_delay_seconds, NumberRange{0.0, 3600.0});
}

void visit_bench(auto& b, auto& v) {
  v("lengths", b.lengths, LengthSpec{});
  v("positions", b.positions, NumberRange{0.0, 1.0});
  v("trials", b.trials, IntRange{1, 100'000});
  v("seed", b.seed, IntRange{0, INT64_MAX});
  v("methods", b.methods, Plain{});
  v("jobs", b.jobs, IntRange{1, 1024});
}

void visit_cache(auto& c, auto& v) {
  v("enabled", c.enabled, Plain{});
  v("path", c.path, AnyText{});
  v("max_size_mb", c.max_size_mb, IntRange{1, 1024 * 1024});
}

// A section of the file: a table name and the visit function for its keys.
inline constexpr std::string_view k_sections[] = {"sandbox", "http", "bench", "cache"};

// Calls `fn(section_name, section_member)` for each [section] of `c`.
void for_each_section(auto& c, auto&& fn) {
  fn(std::string_view("sandbox"), c.sandbox, [](auto& s, auto& v) { visit_sandbox(s, v); });
  fn(std::string_view("http"), c.http, [](auto& s, auto& v) { visit_http(s, v); });
  fn(std::string_view("bench"), c.bench, [](auto& s, auto& v) { visit_bench(s, v); });
  fn(std::string_view("cache"), c.cache, [](auto& s, auto& v) { visit_cache(s, v); });
}

} // namespace rlm::config::schema
