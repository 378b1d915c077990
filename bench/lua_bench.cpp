// The Lua REPL's costs: starting the worker, a cell's round trip through it, RE2 search over
// a 100 MB document, loading a 100 MB document, and the memory that takes.
#include "lua/sandbox.hpp"
#include "rlm/document/document_set.hpp"
#include "rlm/lua/session.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

namespace {

using rlm::lua::Limits;

class SilentHost final : public rlm::lua::Host {
public:
  std::vector<rlm::lua::QueryResult> query(const std::vector<std::string>& prompts) override {
    return std::vector<rlm::lua::QueryResult>(prompts.size(), std::string("ok"));
  }
};

// ~100 MB of log-like text with one needle at the very end.
const std::string& hundred_megabytes() {
  static const std::string text = [] {
    std::string t;
    t.reserve((100U << 20) + 64);
    for (int i = 0; t.size() < (100U << 20); ++i) {
      t += "2026-11-22T10:00:00 service=api request=" + std::to_string(i) + " status=200 ok\n";
    }
    t += "2026-11-22T10:00:01 service=db NEEDLE status=500\n";
    return t;
  }();
  return text;
}

Limits big_limits() {
  Limits limits;
  limits.cell_timeout_seconds = 60;
  limits.memory_limit_bytes = 4LL << 30;
  return limits;
}

std::uint64_t status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + (pid > 0 ? std::to_string(pid) : std::string("self")) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

void BM_CellRoundTrip(benchmark::State& state) {
  rlm::document::DocumentSet documents;
  documents.add_text("doc.txt", "a small document\n").value();
  SilentHost host;
  auto session = rlm::lua::Session::start(documents, Limits{}, host).value();
  for (auto _ : state) {
    auto result = session->run("x = (x or 0) + 1");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CellRoundTrip)->Unit(benchmark::kMicrosecond);

void BM_CellRoundTripWithLlmQuery(benchmark::State& state) {
  rlm::document::DocumentSet documents;
  documents.add_text("doc.txt", "a small document\n").value();
  SilentHost host;
  auto session = rlm::lua::Session::start(documents, Limits{}, host).value();
  for (auto _ : state) {
    auto result = session->run("y = llm_query('summarise ' .. context)");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CellRoundTripWithLlmQuery)->Unit(benchmark::kMicrosecond);

// RE2 through the tools, in-process: what a cell's search costs, without the round trip.
void BM_RegexOver100MB(benchmark::State& state, const char* code) {
  SilentHost host;
  rlm::lua::Sandbox sandbox(big_limits(), host);
  const std::vector<rlm::lua::DocumentText> docs = {{"big.log", hundred_megabytes()}};
  sandbox.load_documents(docs);
  for (auto _ : state) {
    auto result = sandbox.run(code);
    if (result.error || result.output != "1\n") state.SkipWithError("unexpected result");
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(hundred_megabytes().size()));
}
BENCHMARK_CAPTURE(BM_RegexOver100MB, literal_count, "print(re.count(context, 'NEEDLE'))")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RegexOver100MB, class_count,
                  "print(re.count(context, 'service=db [A-Z]+ status=5\\\\d\\\\d'))")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RegexOver100MB, grep, "print(#grep('NEEDLE'))")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RegexOver100MB, plain_find, "print(context:find('NEEDLE', 1, true) and 1)")
    ->Unit(benchmark::kMillisecond);

// Starting a session over a small document, spawn to ready: the cost of rlm-worker itself.
void BM_WorkerStart(benchmark::State& state) {
  rlm::document::DocumentSet documents;
  documents.add_text("doc.txt", "a small document\n").value();
  SilentHost host;
  double worker_peak_mb = 0;
  for (auto _ : state) {
    const auto session = rlm::lua::Session::start(documents, Limits{}, host).value();
    session->ready().value();
    state.SetIterationTime(session->last_start_seconds());
    worker_peak_mb = static_cast<double>(status_kb(session->worker_pid(), "VmHWM")) / 1024.0;
  }
  state.counters["worker_peak_MB"] = worker_peak_mb;
}
BENCHMARK(BM_WorkerStart)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(50);

// Starting a session over 100 MB: spawn the worker, map the memory file, build `context`.
void BM_Load100MB(benchmark::State& state) {
  rlm::document::DocumentSet documents;
  documents.add_text("big.log", hundred_megabytes()).value();
  SilentHost host;
  double worker_peak_mb = 0;
  for (auto _ : state) {
    const auto session = rlm::lua::Session::start(documents, big_limits(), host).value();
    session->ready().value();
    state.SetIterationTime(session->last_start_seconds());
    worker_peak_mb = static_cast<double>(status_kb(session->worker_pid(), "VmHWM")) / 1024.0;
  }
  const double document_mb = static_cast<double>(hundred_megabytes().size()) / (1 << 20);
  state.counters["document_MB"] = document_mb;
  state.counters["worker_peak_MB"] = worker_peak_mb;
  state.counters["memfd_MB"] = document_mb;
  state.counters["peak_over_size_x"] = worker_peak_mb / document_mb; // memfd pages included
}
BENCHMARK(BM_Load100MB)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

} // namespace
