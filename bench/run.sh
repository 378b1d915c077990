#!/usr/bin/env bash
# Builds the release preset, runs every benchmark (the Google Benchmark program and the
# whole-program scripts), keeps the results as JSON in build/release/bench-results/, and
# rewrites docs/benchmarks.md from bench/benchmarks.md.in and those results.
# Usage: bench/run.sh [--quick]
#   --quick: one short repetition of each, for a smoke test; the page is written to
#            build/release/bench-results/benchmarks.md instead of docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/release/bench-results
doc=docs/benchmarks.md
case "${1:-}" in
  "") reps=3 min_time=0.5 runs=3 startup_runs=200 suite_runs=5 first_request_runs=21 ;;
  --quick) reps=1 min_time=0.05 runs=1 startup_runs=20 suite_runs=1 first_request_runs=3 doc=$out/benchmarks.md ;;
  *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac

echo "== building the release preset" >&2
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target rlm rlm_bench >/dev/null
rm -rf "$out"
mkdir -p "$out"
python3 bench/write_benchmarks_md.py machine build/release "$reps" >"$out/machine.json"

echo "== rlm_bench (Google Benchmark), $reps repetition(s)" >&2
timeout 480 build/release/bench/rlm_bench --benchmark_min_time="$min_time" \
  --benchmark_repetitions="$reps" --benchmark_out="$out/rlm_bench.json" \
  --benchmark_out_format=json --benchmark_display_aggregates_only=true >&2
for script in startup first_request lua_cli lua_suite ask_overhead trajectory stream_exec view; do
  echo "== bench/$script.sh" >&2
  case $script in
    startup) n=$startup_runs ;;
    first_request) n=$first_request_runs ;;
    lua_suite) n=$suite_runs ;;
    *) n=$runs ;;
  esac
  RUNS=$n timeout 300 "bench/$script.sh" build/release/rlm | tee -a "$out/scripts.jsonl" >&2
done

python3 bench/write_benchmarks_md.py render "$out" bench/benchmarks.md.in "$doc"
echo "== wrote $doc (results in $out/)" >&2
