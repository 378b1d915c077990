#!/usr/bin/env bash
# rlm ask's own cost per turn, against the fake provider with zero latency: a scripted root
# runs 20 turns of a small cell, then FINAL. From the trajectory, each turn's wall time minus
# the time spent waiting for the model is the orchestrator's overhead (prompt building,
# parsing, the cell's round trip through the sandbox, feedback, trajectory writing).
# Usage: bench/ask_overhead.sh [path/to/rlm]   (default build/release/rlm)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
work=$(mktemp -d /tmp/rlm-bench-XXXXXX)
fake_pid=""
trap '[ -n "$fake_pid" ] && kill $fake_pid 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
with open(f"{work}/doc.txt", "w") as f:
    for i in range(200_000):
        f.write(f"2026-11-22 service=api request={i} status=200 ok\n")
turn = "```lua\nn = (n or 0) + 1\nlocal hits = grep('request=1999', 0, 3)\nprint(n, #hits)\n```"
script = {"models": [{"name": "m", "context_length": 1_000_000}],
          "replies": [{"match": {"contains": "turn 20 of"}, "text": "```lua\nFINAL(n)\n```"}],
          "default": {"text": turn}}
json.dump(script, open(f"{work}/script.json", "w"))
PY
python3 tests/fake_provider/fake_provider.py --script "$work/script.json" --port-file "$work/port" \
  --log "$work/log" --max-seconds 300 &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
cat >"$work/rlm.toml" <<TOML
max_iterations = 25
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$(cat "$work/port")"
model = "m"
role = "root"
context_length = 1000000
TOML
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$rlm" -q --config "$work/rlm.toml" ask -c "$work/doc.txt" --trajectory "$work/t.jsonl" "count" >/dev/null
  end=$(date +%s.%N)
  python3 - "$work/t.jsonl" "$start" "$end" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
turns = [l for l in lines if l["type"] == "iteration"]
over = sorted((t["seconds"] - t["model_seconds"]) * 1000 for t in turns)
cells = sorted(sum(c["seconds"] for c in t["cells"]) * 1000 for t in turns)
model = sum(t["model_seconds"] for t in turns) * 1000
total = (float(sys.argv[3]) - float(sys.argv[2])) * 1000
print(f"{len(turns)} turns over a 9.6 MB document: whole run {total:.0f} ms (model {model:.0f} ms); "
      f"per turn beyond the model: median {over[len(over)//2]:.2f} ms, max {over[-1]:.2f} ms; "
      f"of which the cell (grep over 200,000 lines) median {cells[len(cells)//2]:.2f} ms")
PY
done
