#!/usr/bin/env bash
# rlm ask's start-up, against the fake provider with zero latency: from launch to the first
# HTTP request (the window probes), to the first chat request, and the whole run, over a
# 500 KB document with a root and a sub provider (both probed) and a root that answers FINAL
# at once. The fake provider stamps each request it receives (time.time()); the launch is
# stamped just before the spawn. Also the peak RSS of the largest process (ru_maxrss of the
# children: rlm or its worker).
# Prints one JSON line: {"name": "first_request", "<measure>_s": [one per run], ...}.
# Usage: bench/first_request.sh [path/to/rlm]   (default build/release/rlm; RUNS=21 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
runs=${RUNS:-21}
source bench/fake_provider_env.sh
cat >"$work/script.json" <<'JSON'
{"models": [{"name": "root-m", "context_length": 131072}, {"name": "sub-m", "context_length": 32768}],
 "default": {"text": "```lua\nFINAL('done')\n```"}}
JSON
start_fake_provider "$work/script.json"
cat >"$work/rlm.toml" <<TOML
max_iterations = 3
bypass_threshold = 100
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$port"
model = "root-m"
role = "root"
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$port"
model = "sub-m"
role = "sub"
TOML
python3 - "$work" "$rlm" "$runs" <<'PY'
import json, resource, statistics, subprocess, sys, time
work, rlm, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = {"name": "first_request", "runs": runs, "first_request_s": [], "first_chat_s": [], "run_s": []}
with open(f"{work}/doc.txt", "w") as f:
    i = 0
    while f.tell() < 500_000:
        f.write(f"2026-11-22 service=api request={i} status=200 ok\n")
        i += 1
command = [rlm, "-q", "--config", f"{work}/rlm.toml", "ask", "-c", f"{work}/doc.txt", "count"]
subprocess.run(command, stdout=subprocess.DEVNULL, check=True, timeout=60)  # warm the page cache
for _ in range(runs):
    open(f"{work}/log", "w").close()
    start = time.time()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, timeout=60)
    end = time.time()
    requests = [json.loads(line) for line in open(f"{work}/log")]
    chats = [r["time"] for r in requests if "chat" in r["path"]]
    out["first_request_s"].append(min(r["time"] for r in requests) - start)
    out["first_chat_s"].append(min(chats) - start)
    out["run_s"].append(end - start)
out["peak_MB"] = [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]
print(f"launch to first request: median {statistics.median(out['first_request_s']) * 1000:.1f} ms, "
      f"to first chat {statistics.median(out['first_chat_s']) * 1000:.1f} ms, whole run "
      f"{statistics.median(out['run_s']) * 1000:.1f} ms; largest process {out['peak_MB'][0]:.1f} MB",
      file=sys.stderr)
print(json.dumps(out))
PY
