// What fitting the root conversation to its window costs a turn: a conversation of N turns,
// each a reply of 1,500 characters and an output of 20,000, fitted to a window it overruns
// by a turn (the compaction a long run on a small model meets every few turns), and the
// check made before every request when it already fits.
#include "loop/history.hpp"

#include <benchmark/benchmark.h>

namespace {

using rlm::loop::History;

History conversation(std::int64_t turns) {
  History h;
  h.push({"system", std::string(3'000, 's')});
  h.push({"user", std::string(1'500, 'b')});
  for (std::int64_t t = 0; t < turns; ++t) {
    h.push({"assistant", std::string(1'000, 'p') + "\n```lua\n" + std::string(500, 'c') + "\n```"});
    h.push({"user", std::string(20'000, 'o')});
  }
  return h;
}

void BM_HistoryFitOverrun(benchmark::State& state) {
  const auto base = conversation(state.range(0));
  const auto size = rlm::loop::conversation_chars(base.view());
  for (auto _ : state) {
    state.PauseTiming();
    auto h = base;
    state.ResumeTiming();
    benchmark::DoNotOptimize(h.fit(size - 20'000, "near_window"));
  }
}
BENCHMARK(BM_HistoryFitOverrun)->Arg(20)->Arg(200)->Unit(benchmark::kMicrosecond);

void BM_HistoryFitsAlready(benchmark::State& state) {
  auto h = conversation(state.range(0));
  const auto size = rlm::loop::conversation_chars(h.view());
  for (auto _ : state) benchmark::DoNotOptimize(h.fit(size, "near_window"));
}
BENCHMARK(BM_HistoryFitsAlready)->Arg(20)->Arg(200)->Unit(benchmark::kMicrosecond);

} // namespace
