// The call cache's store on real SQLite files in a temporary folder: hits and misses, the
// size cap, a corrupt, locked or unwritable file (a miss and one warning, never a failure),
// and writers on several threads.
#include "rlm/providers/call_cache.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace rlm::providers {
namespace {

// A fresh folder for one test; `file()` is the cache file in it.
struct CacheDir : rlm::testing::TempDir {
  std::string file() const { return TempDir::file("calls.sqlite"); }
};

ChatResponse answer(std::string text) {
  ChatResponse r;
  r.text = std::move(text);
  r.thinking = "mulling";
  r.finish_reason = "stop";
  r.usage.prompt_tokens = 120;
  r.usage.cached_tokens = 20;
  r.usage.completion_tokens = 7;
  r.usage.reasoning_tokens = 3;
  r.usage.reasoning_estimated = true;
  r.max_tokens = 4096;
  return r;
}

std::unique_ptr<CallCache> open_cache(const std::string& path, CallCacheOptions options = {}) {
  auto cache = CallCache::open(path, options);
  EXPECT_TRUE(cache.has_value()) << (cache ? "" : cache.error());
  return cache ? std::move(*cache) : nullptr;
}

TEST(CallCache, AStoredAnswerComesBackWholeAndMarkedCached) {
  const CacheDir dir;
  auto cache = open_cache(dir.file());
  EXPECT_FALSE(cache->find("key-1"));
  cache->store("key-1", answer("forty-two"));
  const auto hit = cache->find("key-1");
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->cached);
  EXPECT_EQ(hit->text, "forty-two");
  EXPECT_EQ(hit->thinking, "mulling");
  EXPECT_EQ(hit->finish_reason, "stop");
  EXPECT_EQ(hit->usage.prompt_tokens, 120);
  EXPECT_EQ(hit->usage.cached_tokens, 20);
  EXPECT_EQ(hit->usage.completion_tokens, 7);
  EXPECT_EQ(hit->usage.reasoning_tokens, 3);
  EXPECT_TRUE(hit->usage.reasoning_estimated);
  EXPECT_EQ(hit->max_tokens, 4096);
  EXPECT_FALSE(cache->find("key-2"));
  const auto stats = cache->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->entries, 1);
  EXPECT_EQ(stats->hits, 1);
  EXPECT_EQ(stats->misses, 2);
  EXPECT_TRUE(stats->oldest && stats->newest);
}

TEST(CallCache, EntriesOutliveTheConnectionAndClearEmptiesThem) {
  const CacheDir dir;
  open_cache(dir.file())->store("k", answer("kept"));
  auto again = open_cache(dir.file());
  ASSERT_TRUE(again->find("k"));
  EXPECT_EQ(again->find("k")->text, "kept");
  const auto removed = again->clear();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(again->find("k"));
  EXPECT_EQ(again->stats()->entries, 0);
}

TEST(CallCache, ASecondStoreOfTheSameKeyKeepsOneEntry) {
  const CacheDir dir;
  auto cache = open_cache(dir.file());
  cache->store("k", answer("first"));
  cache->store("k", answer("second"));
  EXPECT_EQ(cache->stats()->entries, 1);
  EXPECT_EQ(cache->find("k")->text, "first");
}

TEST(CallCache, OverTheCapTheLeastRecentlyUsedGoFirst) {
  const CacheDir dir;
  const std::string big(1000, 'x');
  open_cache(dir.file())->store("a", answer(big));
  const auto entry = open_cache(dir.file())->stats()->bytes; // every entry has this size
  const auto cap = 3 * entry + entry / 2;                    // room for three
  auto cache = open_cache(dir.file(), {.max_bytes = cap, .busy_timeout_ms = 100});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cache->store("b", answer(big));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cache->store("c", answer(big));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(cache->find("a")); // now the newest use: b is the oldest
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cache->store("d", answer(big));
  EXPECT_TRUE(cache->find("a"));
  EXPECT_FALSE(cache->find("b"));
  EXPECT_TRUE(cache->find("c"));
  EXPECT_TRUE(cache->find("d"));
  EXPECT_EQ(cache->stats()->bytes, 3 * entry);
}

TEST(CallCache, AFileOfGarbageIsRefusedWithAReason) {
  const CacheDir dir;
  std::ofstream(dir.file()) << std::string(8192, 'g');
  const auto cache = CallCache::open(dir.file());
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.error().find("not a database"), std::string::npos) << cache.error();
}

TEST(CallCache, AnEntryThatIsNotRlmsReadsAsAMiss) {
  const CacheDir dir;
  auto cache = open_cache(dir.file());
  cache->store("k", answer("ok"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE calls SET answer = '{\"text\": 5'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_FALSE(cache->find("k"));
  EXPECT_TRUE(cache->usable());
}

TEST(CallCache, ALockHeldPastTheTimeoutTurnsTheCacheOffForTheRun) {
  const CacheDir dir;
  auto cache = open_cache(dir.file(), {.max_bytes = 1 << 20, .busy_timeout_ms = 50});
  cache->store("k", answer("ok"));
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE; UPDATE counters SET value = value;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  cache->store("k2", answer("blocked"));
  EXPECT_FALSE(cache->usable());
  EXPECT_FALSE(cache->find("k")); // off for the rest of the run: a miss, no wait
  sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_TRUE(open_cache(dir.file())->find("k"));
}

TEST(CallCache, AFolderThatCannotBeMadeIsRefusedWithAReason) {
  const CacheDir dir;
  const auto cache = CallCache::open(dir.write("plain-file", "x") + "/calls.sqlite");
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.error().find("cannot create"), std::string::npos) << cache.error();
}

TEST(CallCache, AReadOnlyFolderIsRefusedWithAReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes to read-only folders";
  const CacheDir dir;
  std::filesystem::permissions(dir.path, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_exec);
  EXPECT_FALSE(CallCache::open(dir.file()));
  std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all); // to remove it
}

TEST(CallCache, WritersOnManyThreadsLoseNothing) {
  const CacheDir dir;
  auto shared = open_cache(dir.file());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      auto own = open_cache(dir.file()); // one connection each, and one shared by all
      for (int i = 0; i < 25; ++i) {
        const auto key = std::to_string(t) + ":" + std::to_string(i);
        (i % 2 == 0 ? *own : *shared).store(key, answer(key));
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(shared->stats()->entries, 100);
  EXPECT_TRUE(shared->usable());
  EXPECT_EQ(shared->find("3:24")->text, "3:24");
}

TEST(CallCachePath, XdgCacheHomeThenHome) {
  const auto env = [](std::map<std::string, std::string> vars) -> Environment {
    return [vars](std::string_view name) -> std::optional<std::string> {
      const auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
  };
  EXPECT_EQ(call_cache_path("", env({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})),
            "/x/rlm/calls.sqlite");
  EXPECT_EQ(call_cache_path("", env({{"HOME", "/h"}})), "/h/.cache/rlm/calls.sqlite");
  EXPECT_EQ(call_cache_path("/mine.db", env({{"HOME", "/h"}})), "/mine.db");
}

} // namespace
} // namespace rlm::providers
