#!/usr/bin/env bash
# The sandbox's own cost: the same Lua files under Debian's `lua5.4` and under `rlm lua`
# (which runs them in the worker, with every defence on), from exec to exit. The files are
# in bench/lua_suite/: two of Lua 5.4.4's own tests (sort.lua, constructs.lua, changed only
# where the sandbox refuses what they do) and a plain loop benchmark; plus `print(1)` for
# start-up. Prints one JSON line per file:
#   {"name": "lua_suite_sort", "lua54_s": [...], "rlm_s": [...], "lua54_cpu_s": [...],
#    "rlm_cpu_s": [...], "overhead_pct": [one per run: rlm over lua5.4, in per cent],
#    "cpu_overhead_pct": [the same in CPU time]}
# (CPU is user + system of the process and its children: steadier on a busy machine.)
# Without lua5.4 it says so on stderr and prints lines with an "error" instead.
# Usage: bench/lua_suite.sh [path/to/rlm]   (RUNS=5 runs of each, alternating)
set -euo pipefail
rlm=${1:-build/release/rlm}
runs=${RUNS:-5}
suite=$(cd "$(dirname "$0")" && pwd)/lua_suite
names=(startup sort constructs loops)
if ! command -v lua5.4 >/dev/null; then
  echo "lua_suite.sh: lua5.4 is not installed (apt-get install lua5.4); nothing to compare" >&2
  for name in "${names[@]}"; do
    echo "{\"name\": \"lua_suite_$name\", \"error\": \"lua5.4 is not installed\"}"
  done
  exit 0
fi
python3 - "$rlm" "$runs" "$suite" "${names[@]}" <<'PY'
import json, os, resource, subprocess, sys, time

rlm, runs, suite, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]

def measure(argv):
    """Wall and CPU seconds of one run, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, timeout=300)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"lua_suite.sh: {' '.join(argv)} failed ({done.returncode}): "
                 f"{done.stderr.decode(errors='replace')[:300]}")
    return wall, cpu, done.stdout

for name in names:
    if name == "startup":
        stock, ours = ["lua5.4", "-e", "print(1)"], [rlm, "lua", "-e", "print(1)"]
    else:
        path = os.path.join(suite, name + ".lua")
        stock, ours = ["lua5.4", path], [rlm, "lua", "--timeout", "300", path]
    measure(stock), measure(ours)  # warm the page cache
    result = {"name": f"lua_suite_{name}", "lua54_s": [], "rlm_s": [], "lua54_cpu_s": [],
              "rlm_cpu_s": [], "overhead_pct": [], "cpu_overhead_pct": []}
    for _ in range(runs):
        wall_stock, cpu_stock, out_stock = measure(stock)
        wall_ours, cpu_ours, out_ours = measure(ours)
        # sort.lua prints its timings and constructs.lua a random draw; the rest must agree
        if name in ("startup", "loops") and out_stock != out_ours:
            sys.exit(f"lua_suite.sh: {name}: rlm lua printed something else than lua5.4")
        result["lua54_s"].append(round(wall_stock, 6))
        result["rlm_s"].append(round(wall_ours, 6))
        result["lua54_cpu_s"].append(round(cpu_stock, 6))
        result["rlm_cpu_s"].append(round(cpu_ours, 6))
        result["overhead_pct"].append(round(100 * (wall_ours / wall_stock - 1), 1))
        result["cpu_overhead_pct"].append(round(100 * (cpu_ours / cpu_stock - 1), 1))
    print(json.dumps(result), flush=True)
PY
