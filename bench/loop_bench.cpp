// Sub-call fan-out through the loop: one loop::run whose root model (the fake provider, no
// latency) answers with a cell that sends N prompts through llm_query_batched; each sub-call
// takes 200 ms at the server, and the provider takes 16 at a time. With perfect parallelism
// the cell takes ceil(N / 16) × 200 ms. The time reported is the whole run (worker start,
// root call, the cell, FINAL); counters give the cell's own time and how far it is above
// the ideal, which is the cost of rlm's threads and HTTP and of the Python fake server.
#include "fake_provider.hpp"
#include "rlm/http/curl_transport.hpp"
#include "rlm/loop/run.hpp"
#include "rlm/providers/factory.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

namespace {

using nlohmann::json;
using namespace rlm;

constexpr int k_concurrency = 16;
constexpr int k_latency_ms = 200;

// The root's one reply: ask N sub-calls at once, count the expected answers, finish.
std::string root_reply(std::int64_t n) {
  return fmt::format(
      "```lua\nlocal prompts = {{}}\n"
      "for i = 1, {} do prompts[i] = 'sub-call prompt ' .. i .. '. ' .. context:sub(1, 8) end\n"
      "local ok = 0\n"
      "for _, a in ipairs(llm_query_batched(prompts)) do\n"
      "  if a == 'sub answer' then ok = ok + 1 end\n"
      "end\nFINAL(ok)\n```",
      n);
}

// Keeps the time of the run's (only) cell.
class CellTimer final : public loop::Observer {
public:
  void on_iteration(const loop::IterationRecord& record) override {
    for (const auto& cell : record.cells) seconds += cell.seconds;
  }
  double seconds = 0;
};

// Runs the fan-out cell over the fake provider; a straggler (one prompt the server takes
// `straggler_ms` over) when that is set. Returns the cell's mean time.
double run_fan_out(benchmark::State& state, std::int64_t n, int straggler_ms) {
  json replies = json::array();
  if (straggler_ms > 0) {
    replies.push_back({{"match", {{"contains", "sub-call prompt 7."}}},
                       {"text", "sub answer"},
                       {"latency_ms", straggler_ms}});
  }
  replies.push_back({{"match", {{"contains", "sub-call prompt"}}},
                     {"text", "sub answer"},
                     {"latency_ms", k_latency_ms}});
  testing::FakeProvider server(json{{"models", {{{"name", "m"}, {"context_length", 32768}}}},
                                    {"replies", replies},
                                    {"default", {{"text", root_reply(n)}}}});
  http::CurlTransport transport;
  config::Config cfg;
  config::ProviderConfig provider;
  provider.name = "fake";
  provider.base_url = server.base_url();
  provider.model = "m";
  provider.context_length = 32768;
  provider.max_concurrency = k_concurrency; // root role; sub-calls fall back to it
  cfg.providers = {provider};
  auto pool = providers::make_pool(cfg, transport,
                                   [](std::string_view) { return std::optional<std::string>{}; });
  document::DocumentSet documents;
  documents.add_text("doc.txt", "a small document\n").value();
  const auto prompts = loop::load_prompts("").value();
  loop::RunSettings settings;
  settings.max_sub_calls = n;
  settings.bypass_enabled = false;
  CellTimer cell;
  for (auto _ : state) {
    const auto result =
        loop::run(documents, "spread the work", {*pool, prompts, settings, cell, nullptr});
    if (result.answer != std::to_string(n) || result.iterations != 1)
      state.SkipWithError("the run did not end with every sub-call answered in one turn");
  }
  return cell.seconds / static_cast<double>(state.iterations());
}

void report(benchmark::State& state, double ideal, double cell_seconds) {
  state.counters["ideal_s"] = ideal;
  state.counters["cell_s"] = cell_seconds;
  state.counters["cell_over_ideal_pct"] = (cell_seconds / ideal - 1) * 100;
}

void BM_LoopFanOut(benchmark::State& state) {
  const auto n = state.range(0);
  const auto cell_seconds = run_fan_out(state, n, 0);
  report(state,
         static_cast<double>((n + k_concurrency - 1) / k_concurrency) * k_latency_ms / 1000.0,
         cell_seconds);
}
BENCHMARK(BM_LoopFanOut)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// One of the N prompts takes 2 s at the server. A batch fed as slots free up finishes when
// the straggler does (the other N-1 flow through the other 15 slots meanwhile: 5 rounds,
// 1 s); one sent in waves of 16 would wait for the straggler's wave: 2.6 s for 64.
constexpr int k_straggler_ms = 2000;

void BM_LoopFanOutStraggler(benchmark::State& state) {
  const auto n = state.range(0);
  const auto cell_seconds = run_fan_out(state, n, k_straggler_ms);
  const auto others = static_cast<double>((n - 1 + k_concurrency - 2) / (k_concurrency - 1)) *
                      k_latency_ms / 1000.0;
  report(state, std::max(others, k_straggler_ms / 1000.0), cell_seconds);
}
BENCHMARK(BM_LoopFanOutStraggler)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

} // namespace
