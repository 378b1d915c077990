#!/usr/bin/env bash
# Builds the release preset and runs every benchmark: the Google Benchmark programs and the
# whole-program start-up timing. Prints the results; docs/benchmarks.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target rlm rlm_bench >/dev/null
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== Google Benchmark: build/release/bench/rlm_bench"
build/release/bench/rlm_bench --benchmark_min_time=0.2
bench/startup.sh build/release/rlm
bench/lua_cli.sh build/release/rlm
bench/ask_overhead.sh build/release/rlm
