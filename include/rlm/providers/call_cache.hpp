// The model-call cache's store: one SQLite file (WAL, so parallel sub-calls and several rlm
// processes share it) mapping a call's key to the answer it got. Entries are dropped least
// recently used first once the file's entries pass the size cap. Any failure of the file
// (corrupt, locked past the busy timeout, not writable) is one warning, after which the store
// answers every lookup with a miss: a broken cache never fails a run.
#pragma once

#include "rlm/providers/provider.hpp"
#include "rlm/util/environment.hpp"

#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace rlm::providers {

struct CallCacheOptions {
  std::int64_t max_bytes = std::int64_t{1024} << 20;
  int busy_timeout_ms = 2000; // how long a lookup waits for another writer's lock
};

struct CallCacheStats {
  std::string path;
  std::int64_t entries = 0;
  std::int64_t bytes = 0;       // of keys and answers, as the size cap counts them
  std::int64_t file_bytes = 0;  // the database file on disk
  std::optional<double> oldest; // last use, seconds since the epoch
  std::optional<double> newest;
  std::int64_t hits = 0; // kept in the file, over every run since the last clear
  std::int64_t misses = 0;
};

class CallCache {
public:
  // Opens (creating it and its folder) the cache at `path`; an error line when it cannot.
  static std::expected<std::unique_ptr<CallCache>, std::string> open(const std::string& path,
                                                                     CallCacheOptions options = {});
  ~CallCache();
  CallCache(const CallCache&) = delete;
  CallCache& operator=(const CallCache&) = delete;

  // The answer stored under `key`, marked cached; nothing on a miss or once the file failed.
  std::optional<ChatResponse> find(const std::string& key);
  // Stores `response` under `key` (a second store of the same key keeps the first).
  void store(const std::string& key, const ChatResponse& response);

  std::expected<CallCacheStats, std::string> stats();
  std::expected<std::int64_t, std::string> clear(); // the entries removed
  bool usable() const;

private:
  struct Entry {
    std::int64_t row = 0;
    std::string answer;
  };
  CallCache(sqlite3* db, std::string path, CallCacheOptions options);
  std::expected<std::optional<Entry>, std::string> lookup(const std::string& key);
  // Logs one warning for the first failure and turns the cache off for the rest of the run.
  void fail(const std::string& what);
  void touch(std::int64_t row); // marks an entry used now, for the eviction order
  void evict_over_cap();

  sqlite3* m_db;
  std::string m_path;
  CallCacheOptions m_options;
  mutable std::mutex m_mutex; // one connection, shared by the run's threads
  bool m_failed = false;
};

// The default place of the cache: $XDG_CACHE_HOME/rlm/calls.sqlite, else
// ~/.cache/rlm/calls.sqlite; `configured` when it is not empty.
std::string call_cache_path(const std::string& configured, const Environment& env);

} // namespace rlm::providers
