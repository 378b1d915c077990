#include "rlm/providers/call_cache.hpp"

#include "cached_answer.hpp"
#include "sqlite_statement.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <bit>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace rlm::providers {

namespace {

constexpr const char* k_schema = R"(
CREATE TABLE IF NOT EXISTS calls(
  hash INTEGER NOT NULL, bytes INTEGER NOT NULL, last_used REAL NOT NULL,
  key TEXT NOT NULL, answer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS calls_by_hash ON calls(hash);
CREATE INDEX IF NOT EXISTS calls_by_use ON calls(last_used, bytes);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('hits', 0), ('misses', 0);
)";

// FNV-1a: an index into the table only. A hit compares the whole key, so a collision costs a
// second comparison, never a wrong answer.
std::int64_t key_hash(std::string_view key) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return std::bit_cast<std::int64_t>(hash);
}

double seconds_since_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// SQLite's message, with the name of its code when that says more ("database is locked" is
// both).
std::string with_kind(const std::string& message, int code) {
  const std::string kind = sqlite3_errstr(code);
  return message == kind ? message : fmt::format("{} ({})", message, kind);
}

std::string sqlite_error(sqlite3* db, int code) {
  return with_kind(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code), code);
}

// Runs `sql` (one or more statements without results); an error line when it fails.
std::optional<std::string> execute(sqlite3* db, const char* sql) {
  char* message = nullptr;
  const int code = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (code == SQLITE_OK) return std::nullopt;
  const std::string text = message != nullptr ? message : sqlite3_errstr(code);
  sqlite3_free(message);
  return with_kind(text, code);
}

std::optional<std::string> make_folder(const std::string& path) {
  const auto folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) return std::nullopt;
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return fmt::format("cannot create {}: {}", folder.string(), error.message());
  return std::nullopt;
}

// WAL lets readers go on while one process writes; NORMAL syncs at checkpoints only, which
// is enough for a cache (a power cut may lose the newest entries, never the file).
std::optional<std::string> prepare_file(sqlite3* db, int busy_timeout_ms) {
  sqlite3_busy_timeout(db, busy_timeout_ms);
  if (auto error = execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) return error;
  return execute(db, k_schema);
}

} // namespace

std::string call_cache_path(const std::string& configured, const Environment& env) {
  if (!configured.empty()) return configured;
  if (const auto xdg = env("XDG_CACHE_HOME"); xdg && !xdg->empty())
    return *xdg + "/rlm/calls.sqlite";
  const auto home = env("HOME");
  return (home && !home->empty() ? *home : std::string(".")) + "/.cache/rlm/calls.sqlite";
}

std::expected<std::unique_ptr<CallCache>, std::string> CallCache::open(const std::string& path,
                                                                       CallCacheOptions options) {
  if (auto error = make_folder(path)) return std::unexpected(*error);
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    auto message = fmt::format("cannot open {}: {}", path, sqlite_error(db, code));
    sqlite3_close(db);
    return std::unexpected(message);
  }
  if (auto error = prepare_file(db, options.busy_timeout_ms)) {
    sqlite3_close(db);
    return std::unexpected(fmt::format("cannot use {}: {}", path, *error));
  }
  return std::unique_ptr<CallCache>(new CallCache(db, path, options));
}

CallCache::CallCache(sqlite3* db, std::string path, CallCacheOptions options)
    : m_db(db), m_path(std::move(path)), m_options(options) {}

CallCache::~CallCache() { sqlite3_close(m_db); }

bool CallCache::usable() const {
  const std::lock_guard lock(m_mutex);
  return !m_failed;
}

void CallCache::fail(const std::string& what) {
  if (m_failed) return;
  m_failed = true;
  spdlog::warn("call cache {}: {}; going on without the cache", m_path, what);
}

std::optional<ChatResponse> CallCache::find(const std::string& key) {
  const std::lock_guard lock(m_mutex);
  if (m_failed) return std::nullopt;
  auto entry = lookup(key);
  if (!entry) {
    fail(entry.error());
    return std::nullopt;
  }
  std::optional<ChatResponse> found;
  if (*entry) found = decode_cached_answer((*entry)->answer);
  if (found) touch((*entry)->row);
  SqliteStatement count(m_db, "UPDATE counters SET value = value + 1 WHERE name = ?");
  count.bind(1, std::string_view(found ? "hits" : "misses"));
  count.step(); // a lost count is not worth a warning
  return found;
}

// The entry stored under `key`, read and its statement finished before anything is written.
std::expected<std::optional<CallCache::Entry>, std::string>
CallCache::lookup(const std::string& key) {
  SqliteStatement select(m_db, "SELECT rowid, key, answer FROM calls WHERE hash = ?");
  select.bind(1, key_hash(key));
  int code = SQLITE_ROW;
  while ((code = select.step()) == SQLITE_ROW) {
    if (select.text(1) == key) return Entry{select.integer(0), select.text(2)};
  } // a row with the same hash but another key is a collision: read on
  if (code != SQLITE_DONE) return std::unexpected(sqlite_error(m_db, code));
  return std::nullopt;
}

void CallCache::touch(std::int64_t row) {
  SqliteStatement update(m_db, "UPDATE calls SET last_used = ? WHERE rowid = ?");
  update.bind(1, seconds_since_epoch());
  update.bind(2, row);
  if (const int code = update.step(); code != SQLITE_DONE) fail(sqlite_error(m_db, code));
}

void CallCache::store(const std::string& key, const ChatResponse& response) {
  const std::lock_guard lock(m_mutex);
  if (m_failed) return;
  const auto answer = encode_cached_answer(response);
  SqliteStatement insert(m_db, "INSERT INTO calls(hash, bytes, last_used, key, answer) "
                               "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS "
                               "(SELECT 1 FROM calls WHERE hash = ?1 AND key = ?4)");
  insert.bind(1, key_hash(key));
  insert.bind(2, static_cast<std::int64_t>(key.size() + answer.size()));
  insert.bind(3, seconds_since_epoch());
  insert.bind(4, std::string_view(key));
  insert.bind(5, std::string_view(answer));
  if (const int code = insert.step(); code != SQLITE_DONE) {
    fail(sqlite_error(m_db, code));
    return;
  }
  evict_over_cap();
}

// Drops the least recently used entries until the rest fit under the cap.
void CallCache::evict_over_cap() {
  std::int64_t excess = 0;
  {
    SqliteStatement total(m_db, "SELECT total(bytes) FROM calls");
    if (total.step() != SQLITE_ROW) return;
    excess = static_cast<std::int64_t>(total.number(0)) - m_options.max_bytes;
  } // finished before the delete, so the delete commits on its own
  if (excess <= 0) return;
  SqliteStatement evict(m_db, "DELETE FROM calls WHERE rowid IN (SELECT rowid FROM "
                              "(SELECT rowid, bytes, sum(bytes) OVER (ORDER BY last_used, rowid) "
                              "AS running FROM calls) WHERE running - bytes < ?)");
  evict.bind(1, excess);
  if (const int code = evict.step(); code != SQLITE_DONE) fail(sqlite_error(m_db, code));
}

std::expected<CallCacheStats, std::string> CallCache::stats() {
  const std::lock_guard lock(m_mutex);
  CallCacheStats out;
  out.path = m_path;
  SqliteStatement calls(m_db, "SELECT count(*), total(bytes), min(last_used), max(last_used) "
                              "FROM calls");
  if (const int code = calls.step(); code != SQLITE_ROW)
    return std::unexpected(sqlite_error(m_db, code));
  out.entries = calls.integer(0);
  out.bytes = static_cast<std::int64_t>(calls.number(1));
  if (!calls.is_null(2)) out.oldest = calls.number(2);
  if (!calls.is_null(3)) out.newest = calls.number(3);
  SqliteStatement counters(m_db, "SELECT name, value FROM counters");
  while (counters.step() == SQLITE_ROW) {
    (counters.text(0) == "hits" ? out.hits : out.misses) = counters.integer(1);
  }
  std::error_code error;
  const auto size = std::filesystem::file_size(m_path, error);
  out.file_bytes = error ? 0 : static_cast<std::int64_t>(size);
  return out;
}

std::expected<std::int64_t, std::string> CallCache::clear() {
  const std::lock_guard lock(m_mutex);
  std::int64_t entries = 0;
  {
    SqliteStatement count(m_db, "SELECT count(*) FROM calls");
    if (const int code = count.step(); code != SQLITE_ROW)
      return std::unexpected(sqlite_error(m_db, code));
    entries = count.integer(0);
  } // VACUUM refuses to run beside an unfinished statement
  if (auto error = execute(m_db, "DELETE FROM calls; UPDATE counters SET value = 0; VACUUM;"))
    return std::unexpected(*error);
  return entries;
}

} // namespace rlm::providers
