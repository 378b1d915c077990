// The benchmarks' main: like benchmark_main, except that the Lua sessions the benchmarks start
// run the rlm-worker this build made (RLM_WORKER_PROGRAM), unless RLM_WORKER_PATH names another.
#include <benchmark/benchmark.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("RLM_WORKER_PATH", RLM_WORKER_PROGRAM, 0);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
