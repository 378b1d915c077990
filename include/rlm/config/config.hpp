// The effective configuration of rlm: plain data, filled by the loader from defaults, a
// TOML file and the environment. Every key is documented, with its default, in docs/config.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlm::config {

enum class ProviderType { ollama, deepseek, openai };
enum class Role { root, sub };
// How `rlm bench` answers a task: the RLM loop, or the whole document in one prompt to the
// same root model. Spelled "rlm" and "vanilla" in config files, flags and results files.
enum class BenchMethod { rlm, vanilla };
// Which system prompt the root model gets: the compact one for small windows (at most
// k_compact_prompt_window tokens) under `automatic`, or the one named. Spelled "auto", "full",
// "compact".
enum class PromptStyle { automatic, full, compact };
inline constexpr std::int64_t k_compact_prompt_window = 32 * 1024;
inline constexpr BenchMethod k_bench_methods[] = {BenchMethod::rlm, BenchMethod::vanilla};
// Whether a thinking model reasons before it answers (`think` in a [[providers]] table):
// false, true, or a level for models that have levels. Unset leaves it to the server.
enum class Think { off, on, low, medium, high, max };

// Where a value came from, so `rlm config show` can say why it has the value it has.
struct Origin {
  enum class Kind { built_in, file, environment };
  Kind kind = Kind::built_in;
  std::string where; // "rlm.toml:3", "DEEPSEEK_API_KEY", or why a default applies
};

// One model endpoint. Several may share a role; `weight` picks among them.
struct ProviderConfig {
  ProviderType type = ProviderType::ollama;
  std::string name;     // a label for logs and tables; default "<type>:<model>"
  std::string base_url; // default depends on `type`
  std::string model;
  Role role = Role::root;
  double weight = 1.0;
  std::string api_key_env; // the variable holding the key; "" = no key
  // Requests in flight to this provider at once; unset = what the server says it serves
  // (Provider::concurrency): llama.cpp's slots, else 4 for Ollama and 16 for APIs.
  std::optional<std::int64_t> max_concurrency;
  std::optional<std::int64_t> context_length; // tokens; unset = ask the server
  std::int64_t max_tokens = 4096;             // completion tokens per call
  double temperature = 0.0;
  std::optional<Think> think; // unset: the server's default (Ollama thinks if the model can)
  std::optional<double> price_input_per_mtok; // prices per million tokens, for cost reports
  std::optional<double> price_cached_input_per_mtok;
  std::optional<double> price_output_per_mtok;
  int line = 0; // where its [[providers]] table starts in the file, for messages
};

// Limits of the Lua REPL that runs the root model's code (one cell = one code block).
struct SandboxSettings {
  double cell_timeout_seconds = 30.0;
  std::int64_t memory_limit_mb = 4096;
  std::int64_t max_output_bytes = 64 * 1024;
  std::int64_t max_source_bytes = 256 * 1024;
  std::int64_t max_error_bytes = 2048;
  std::vector<std::string> tools; // the user's Lua tool files, relative to the config file
};

// How rlm talks HTTP to providers.
struct HttpSettings {
  double connect_timeout_seconds = 10.0;
  double idle_timeout_seconds = 300.0;     // no data for this long ends a request
  double request_timeout_seconds = 1800.0; // whole request, including queueing and model load
  std::int64_t max_retries = 2;
  double max_retry_delay_seconds = 60.0; // cap on backoff and on Retry-After
};

// Defaults for `rlm bench`; command-line flags override them.
struct BenchSettings {
  std::string lengths = "4k..128k";
  std::vector<double> positions = {0.1, 0.5, 0.9};
  std::int64_t trials = 1;
  std::int64_t seed = 42;
  std::vector<BenchMethod> methods = {BenchMethod::rlm, BenchMethod::vanilla};
  std::int64_t jobs = 1;
};

// The model-call cache (docs/cache.md): deterministic calls (temperature 0) answered from a
// local SQLite file. Off by default: a server can change a model under the same name, and the
// file keeps every prompt, documents included.
struct CacheSettings {
  bool enabled = false;
  std::string path;                // "" = $XDG_CACHE_HOME/rlm/calls.sqlite (~/.cache/rlm)
  std::int64_t max_size_mb = 1024; // least recently used entries go past this
};

struct Config {
  std::int64_t max_iterations = 20;
  std::int64_t max_sub_calls = 50;
  std::int64_t max_depth = 1;
  bool bypass_enabled = true;
  std::int64_t bypass_threshold = 4000; // characters
  bool stream_execution = true;         // cut a streaming root reply once its code block closes
  // Budgets for a whole run, nested runs included; unset = no limit. max_tokens here is the
  // run's total (prompt + completion, every call), not a provider's per-call max_tokens.
  std::optional<double> max_cost; // in the providers' price currency
  std::optional<double> max_seconds;
  std::optional<std::int64_t> max_tokens;
  std::string prompts_dir; // "" = the prompts built into the binary
  PromptStyle prompt_style = PromptStyle::automatic;
  // A sub-call prompt over the sub model's window: cut into parts (true) or refused (false).
  bool split_oversized_prompts = false;
  // The trajectory keeps each sub-call's prompt and answer up to this many bytes.
  std::int64_t trajectory_max_text = 64 * 1024;
  std::vector<ProviderConfig> providers;
  SandboxSettings sandbox;
  HttpSettings http;
  BenchSettings bench;
  CacheSettings cache;

  // Origin of each value that did not come from a built-in default, by dotted key
  // ("max_iterations", "sandbox.memory_limit_mb", "providers[1].model").
  std::map<std::string, Origin> origins;
};

// The names used in config files and messages.
const char* to_string(ProviderType type);
const char* to_string(Role role);
const char* to_string(BenchMethod method);
const char* to_string(PromptStyle style);
const char* to_string(Think think); // "false", "true", "low", ...
// Whether `think` asks the model to reason (true or a level).
inline bool thinks(Think think) { return think != Think::off; }
// The method spelled `name` ("rlm" or "vanilla", exactly), or nothing.
std::optional<BenchMethod> parse_bench_method(std::string_view name);

// The base URL a provider of `type` uses when the file gives none ("" = it must be given).
std::string default_base_url(ProviderType type);
// The environment variable a provider of `type` reads its key from by default ("" = none).
std::string default_api_key_env(ProviderType type);
// Ollama does not say how many requests it serves at once (OLLAMA_NUM_PARALLEL) and queues
// the rest: 4. DeepSeek's API serves many: 16. An openai server is asked (llama.cpp's slots).
std::optional<std::int64_t> default_max_concurrency(ProviderType type);

// The configuration used when no file is found: a local Ollama serving both roles.
Config built_in_config();

// The model the built-in configuration asks Ollama for.
inline constexpr const char* k_default_ollama_model = "qwen2.5-coder:7b";

} // namespace rlm::config
