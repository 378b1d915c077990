#!/usr/bin/env bash
# Whole-program start-up: wall time of `rlm config show` with the guide config, averaged over
# many runs. This is the floor under every rlm command a script runs.
set -euo pipefail
rlm=${1:-build/release/rlm}
runs=${RUNS:-200}
config="$(dirname "$0")/../configs/guide-example.toml"
"$rlm" --config "$config" config show >/dev/null # warm the page cache
start=$(date +%s%N)
for ((i = 0; i < runs; i++)); do "$rlm" --config "$config" config show >/dev/null; done
end=$(date +%s%N)
echo "== start-up: rlm config show, mean of $runs runs: $(( (end - start) / runs / 1000 )) us"
