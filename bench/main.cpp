// The benchmarks' main: like benchmark_main, except that a Lua session started by a
// benchmark runs its worker by executing this binary again.
#include "rlm/lua/worker.hpp"

#include <benchmark/benchmark.h>

int main(int argc, char** argv) {
  if (const int code = rlm::lua::run_worker_if_requested(argc, argv); code >= 0) return code;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
