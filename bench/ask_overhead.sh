#!/usr/bin/env bash
# rlm ask's own cost per turn, against the fake provider with zero latency: a scripted root
# runs 20 turns of a small cell, then FINAL. From the trajectory, each turn's wall time minus
# the time spent waiting for the model is the orchestrator's overhead (prompt building,
# parsing, the cell's round trip through the sandbox, feedback, trajectory writing).
# Prints one JSON line, {"name": "ask_overhead", "<measure>_s": [one per run], ...}, and a
# summary of each run on stderr.
# Usage: bench/ask_overhead.sh [path/to/rlm]   (default build/release/rlm; RUNS=3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
runs=${RUNS:-3}
source bench/fake_provider_env.sh
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
start_fake_provider "$work/script.json"
cat >"$work/rlm.toml" <<TOML
max_iterations = 25
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$port"
model = "m"
role = "root"
context_length = 1000000
TOML
for ((run = 1; run <= runs; run++)); do
  start=$(date +%s.%N)
  timeout 120 "$rlm" -q --config "$work/rlm.toml" ask -c "$work/doc.txt" \
    --trajectory "$work/t$run.jsonl" "count" >/dev/null
  end=$(date +%s.%N)
  echo "$start $end" >"$work/t$run.times"
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
out = {"name": "ask_overhead", "turns": [], "turn_s": [], "cell_s": [], "orchestration_s": [],
       "worst_turn_s": [], "run_s": [], "model_s": []}
for run in range(1, runs + 1):
    lines = [json.loads(l) for l in open(f"{work}/t{run}.jsonl")]
    turns = [l for l in lines if l["type"] == "iteration"]
    over = [t["seconds"] - t["model_seconds"] for t in turns]
    cells = [sum(c["seconds"] for c in t["cells"]) for t in turns]
    start, end = map(float, open(f"{work}/t{run}.times").read().split())
    out["turns"].append(len(turns))
    out["turn_s"].append(statistics.median(over))
    out["cell_s"].append(statistics.median(cells))
    out["orchestration_s"].append(statistics.median(o - c for o, c in zip(over, cells)))
    out["worst_turn_s"].append(max(over))
    out["run_s"].append(end - start)
    out["model_s"].append(sum(t["model_seconds"] for t in turns))
    print(f"{len(turns)} turns over a 9.6 MB document: whole run {out['run_s'][-1] * 1000:.0f} ms "
          f"(model {out['model_s'][-1] * 1000:.0f} ms); per turn beyond the model: median "
          f"{out['turn_s'][-1] * 1000:.2f} ms, worst {max(over) * 1000:.2f} ms (turn "
          f"{over.index(max(over)) + 1}); of which the cell {out['cell_s'][-1] * 1000:.2f} ms",
          file=sys.stderr)
print(json.dumps(out))
PY
