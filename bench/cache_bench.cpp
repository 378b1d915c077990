// What the model-call cache costs a call: a hit through the caching provider (key built from
// a 20,000-character conversation, looked up, the entry's use marked), a miss, an insert, and
// inserts from N threads at once, each on its own connection to one file (as parallel
// sub-calls and several rlm processes write it).
#include "rlm/providers/caching_provider.hpp"
#include "rlm/providers/call_cache.hpp"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace {

using namespace rlm::providers;

std::string bench_file(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("rlm-cache-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / name;
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + "-wal");
  std::filesystem::remove(file.string() + "-shm");
  return file.string();
}

std::shared_ptr<CallCache> open_cache(const std::string& name) {
  auto cache = CallCache::open(bench_file(name));
  if (!cache) throw std::runtime_error(cache.error());
  return std::move(*cache);
}

ChatResponse answer() {
  ChatResponse r;
  r.text = std::string(2'000, 'a');
  r.finish_reason = "stop";
  r.usage.prompt_tokens = 5'000;
  r.usage.completion_tokens = 500;
  return r;
}

// Answers every call at once; counts them, so a benchmark can check that hits send nothing.
class InstantProvider final : public Provider {
public:
  InstantProvider() { m_settings.model = "bench-model"; }
  std::expected<ChatResponse, ProviderError> chat(const ChatRequest&) override {
    ++calls;
    return answer();
  }
  const rlm::config::ProviderConfig& settings() const override { return m_settings; }
  std::atomic<std::int64_t> calls = 0;

private:
  rlm::config::ProviderConfig m_settings;
};

ChatRequest conversation(int variant) {
  ChatRequest request;
  request.messages = {{"system", std::string(3'000, 's')},
                      {"user", std::string(17'000, 'u') + std::to_string(variant)}};
  return request;
}

void BM_CacheHit(benchmark::State& state) {
  auto inner = std::make_unique<InstantProvider>();
  auto* counter = inner.get();
  CachingProvider provider(std::move(inner), open_cache("hit.sqlite"));
  const auto request = conversation(0);
  (void)provider.chat(request); // the one miss that fills it
  for (auto _ : state) benchmark::DoNotOptimize(provider.chat(request));
  if (counter->calls != 1) state.SkipWithError("a hit reached the provider");
}
BENCHMARK(BM_CacheHit)->Unit(benchmark::kMicrosecond);

void BM_CacheMiss(benchmark::State& state) {
  auto cache = open_cache("miss.sqlite");
  for (int i = 0; i < 1'000; ++i) cache->store("key " + std::to_string(i), answer());
  const auto key = *call_cache_key({}, conversation(1));
  for (auto _ : state) benchmark::DoNotOptimize(cache->find(key));
}
BENCHMARK(BM_CacheMiss)->Unit(benchmark::kMicrosecond);

void BM_CacheInsert(benchmark::State& state) {
  auto cache = open_cache("insert.sqlite");
  const auto key = *call_cache_key({}, conversation(2));
  std::int64_t i = 0;
  for (auto _ : state) cache->store(key + std::to_string(i++), answer());
}
BENCHMARK(BM_CacheInsert)->Unit(benchmark::kMicrosecond);

// Every writer opens its own connection to one file (the process's folder is new, so the
// file starts empty), racing to create it as rlm processes started together do.
void BM_CacheParallelWriters(benchmark::State& state) {
  static const auto dir = std::filesystem::path(bench_file("parallel")).parent_path();
  const auto path = (dir / ("parallel-" + std::to_string(state.threads()) + ".sqlite")).string();
  auto own = CallCache::open(path);
  if (!own) {
    state.SkipWithError(own.error().c_str());
    return;
  }
  const auto key = *call_cache_key({}, conversation(3)) + std::to_string(state.thread_index());
  std::int64_t i = 0;
  for (auto _ : state) (*own)->store(key + ":" + std::to_string(i++), answer());
  if (!(*own)->usable()) state.SkipWithError("a writer was locked out");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheParallelWriters)
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->Threads(8)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

} // namespace
