#include "cache_command.hpp"

#include "effective_config.hpp"
#include "fatal.hpp"

#include "rlm/providers/call_cache.hpp"
#include "rlm/util/console.hpp"
#include "rlm/util/display.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>

namespace rlm::cli {

namespace {

using providers::CallCache;
using providers::CallCacheStats;

struct CacheOptions {
  bool json = false;
};

std::string cache_path(const Context& context) {
  const auto cfg = load_effective_config(context).config;
  return providers::call_cache_path(cfg.cache.path, context.env);
}

constexpr const char* k_cache_hint =
    "delete the file to start an empty cache, or wait for the rlm holding it";

std::unique_ptr<CallCache> open_or_exit(const std::string& path) {
  auto cache = CallCache::open(path);
  if (!cache) {
    throw Fatal(ExitCode::input, "call cache: " + cache.error(), k_cache_hint);
  }
  return std::move(*cache);
}

template <typename T> T or_exit_cache(std::expected<T, std::string> result) {
  if (!result) throw Fatal(ExitCode::input, "call cache: " + result.error(), k_cache_hint);
  return std::move(*result);
}

std::string when(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  const auto time = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(*seconds)));
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", std::chrono::floor<std::chrono::seconds>(time));
}

std::string stats_text(const CallCacheStats& s) {
  return fmt::format("path     {}\nentries  {}\nbytes    {} (file {})\noldest   {}\n"
                     "newest   {}\nhits     {}\nmisses   {}\n",
                     printable(s.path, 4096), with_commas(s.entries), with_commas(s.bytes),
                     with_commas(s.file_bytes), when(s.oldest), when(s.newest), with_commas(s.hits),
                     with_commas(s.misses));
}

std::string stats_json(const CallCacheStats& s) {
  const auto time = [](const std::optional<double>& t) {
    return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
  };
  return nlohmann::json{{"path", s.path},           {"entries", s.entries},
                        {"bytes", s.bytes},         {"file_bytes", s.file_bytes},
                        {"oldest", time(s.oldest)}, {"newest", time(s.newest)},
                        {"hits", s.hits},           {"misses", s.misses}}
             .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

int run_stats(const Context& context, const CacheOptions& options) {
  const auto path = cache_path(context);
  CallCacheStats stats;
  stats.path = path;
  if (std::filesystem::exists(path)) stats = or_exit_cache(open_or_exit(path)->stats());
  write_stdout(options.json ? stats_json(stats) : stats_text(stats));
  return 0;
}

int run_clear(const Context& context) {
  const auto path = cache_path(context);
  if (!std::filesystem::exists(path)) {
    write_stdout(fmt::format("no cache at {}\n", printable(path, 4096)));
    return 0;
  }
  const auto removed = or_exit_cache(open_or_exit(path)->clear());
  write_stdout(
      fmt::format("removed {} entries from {}\n", with_commas(removed), printable(path, 4096)));
  return 0;
}

} // namespace

void setup_cache(CLI::App& app, Context& context, CommandTable& commands) {
  auto options = std::make_shared<CacheOptions>();
  auto* cache = app.add_subcommand("cache", "The model-call cache: what it holds, or empty it");
  cache->require_subcommand(1);
  cache->footer("The file: [cache] path, default $XDG_CACHE_HOME/rlm/calls.sqlite. Exit status: "
                "0 done, 2 bad config, 3 the cache file cannot be read (corrupt or locked).");
  auto* stats = cache->add_subcommand("stats", "Entries, bytes, oldest and newest use, hits");
  stats->add_flag("--json", options->json, "Print the numbers as one JSON object");
  auto* clear = cache->add_subcommand("clear", "Remove every entry and reset the counters");
  commands.push_back({stats, [&context, options] { return run_stats(context, *options); }});
  commands.push_back({clear, [&context] { return run_clear(context); }});
}

} // namespace rlm::cli
