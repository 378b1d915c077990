#!/usr/bin/env bash
# Builds the fuzz preset (clang-19's libFuzzer, ASan, UBSan) and runs every fuzz target for
# SECONDS each (default 60), two at a time, from its seed corpus (tests/fuzz/corpus/) and
# the past findings (tests/fuzz/regressions/). Exits non-zero on any crash, leak, timeout or
# undefined behaviour; the input that caused it is kept in build/fuzz/findings/TARGET/.
# New corpus entries go to build/fuzz/corpus/ (never into the repository).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cassette config documents ollama_reply openai_reply results_file trajectory_file worker_frame)
scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
status=0
run() {
  local target=$1 corpus=build/fuzz/corpus/$1 findings=build/fuzz/findings/$1
  mkdir -p "$corpus" "$findings"
  local log=build/fuzz/$target.log
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a memory blow-up is a finding.
  if build/fuzz/tests/fuzz/fuzz_"$target" "$corpus" tests/fuzz/corpus/"$target" \
      $( [ -d tests/fuzz/regressions/"$target" ] && echo tests/fuzz/regressions/"$target" ) \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $target: $(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}') runs, $(grep -oE 'cov: [0-9]+' "$log" | tail -1), nothing found"
  else
    echo "fuzz: $target: FOUND A PROBLEM; input in $findings/, log in $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
}
export -f run
export seconds
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do run "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
