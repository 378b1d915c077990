#!/usr/bin/env bash
# Whole-program start-up: mean wall time of `rlm config show` with the guide config, the floor
# under every rlm command a script runs; beside it `rlm --version` (exec, dynamic linking,
# static initialisation) and /bin/true (what any process costs on this machine).
# Prints one JSON line: {"name": "startup", "<measure>_s": [mean of each batch], ...}.
# Usage: bench/startup.sh [path/to/rlm]   (RUNS=200 runs of each, in 4 batches)
set -euo pipefail
rlm=${1:-build/release/rlm}
runs=${RUNS:-200}
batch=$(( (runs + 3) / 4 ))
config="$(dirname "$0")/../configs/guide-example.toml"

# Mean wall time in µs of `$@` over one batch.
mean_us() {
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < batch; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  echo $(( (end - start) / batch / 1000 ))
}

# One measure: a JSON list of 4 batch means in seconds.
measure() {
  local list="" us
  "$@" >/dev/null # warm the page cache
  for _ in 1 2 3 4; do
    us=$(mean_us "$@")
    list+="${list:+, }${us}e-6"
  done
  echo "[$list]"
}

echo "{\"name\": \"startup\", \"runs\": $((batch * 4)),"\
  "\"true_s\": $(measure /bin/true),"\
  "\"version_s\": $(measure "$rlm" --version),"\
  "\"config_show_s\": $(measure "$rlm" --config "$config" config show)}"
