#!/usr/bin/env bash
# Streaming execution: the wall time of a turn whose reply closes its code block and then
# writes a 150-token tail at 30 tokens/s (5 s), against the fake provider, with the
# stream_execution setting on and off. Prints one JSON line, {"name": "stream_exec",
# "on_turn_s": [one per run], "off_turn_s": [...]}, and a summary on stderr.
# Usage: bench/stream_exec.sh [path/to/rlm]   (default build/release/rlm; RUNS=3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/rlm-bench-XXXXXX)
fake_pid=""
trap '[ -n "$fake_pid" ] && kill $fake_pid 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
open(f"{work}/doc.txt", "w").write("x" * 10_000)
turn = {"match": {"contains": "q"}, "times": 1_000_000,
        "text": "Let me look.\n```lua\nprint(#context)\n```\n",
        "tail": {"text": "word " * 150, "tokens_per_second": 30}}
script = {"models": [{"name": "m", "context_length": 32768}],
          "replies": [{"match": {"contains": "FINAL"}, "text": "FINAL(done)"}, turn],
          "default": {"text": "FINAL(done)"}}
json.dump(script, open(f"{work}/script.json", "w"))
PY
python3 tests/fake_provider/fake_provider.py --script "$work/script.json" --port-file "$work/port" \
  --log "$work/log" --max-seconds 600 &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "stream_exec.sh: the fake provider did not start" >&2; exit 1; }
for mode in on off; do
  setting=$([ "$mode" = on ] && echo true || echo false)
  cat >"$work/$mode.toml" <<TOML
max_iterations = 1
bypass_threshold = 10
stream_execution = $setting
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$(cat "$work/port")"
model = "m"
role = "root"
context_length = 32768
TOML
  for ((run = 1; run <= runs; run++)); do
    timeout 120 "$rlm" -q --config "$work/$mode.toml" ask -c "$work/doc.txt" \
      --trajectory "$work/$mode$run.jsonl" "q" >/dev/null 2>&1 || true
  done
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
out = {"name": "stream_exec", "on_turn_s": [], "off_turn_s": []}
for mode in ("on", "off"):
    for run in range(1, runs + 1):
        turns = [json.loads(l) for l in open(f"{work}/{mode}{run}.jsonl")]
        first = next(t for t in turns if t["type"] == "iteration")
        out[f"{mode}_turn_s"].append(first["seconds"])
print(f"a turn with a 150-token tail at 30 tok/s: median {statistics.median(out['on_turn_s']):.3f} s "
      f"with stream_execution, {statistics.median(out['off_turn_s']):.3f} s without", file=sys.stderr)
print(json.dumps(out))
PY
