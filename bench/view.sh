#!/usr/bin/env bash
# rlm view on a large trajectory: a synthetic 2,000-turn file (tests/view/make_trajectory.py:
# cells, sub-calls, a nested run, compactions, growing requests) made into a page, and that
# page rendered in headless Chromium (the time the page records itself, renderMs: parsing
# the data, building the DOM, the first layout).
# Prints one JSON line, {"name": "view", "view_s": [...], "page_MB": [...], "render_s": [...],
# "trajectory_MB": [...]}, and each run on stderr. Needs chromium on PATH.
# Usage: bench/view.sh [path/to/rlm]   (default build/release/rlm; RUNS=3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/rlm-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 tests/view/make_trajectory.py "$work/big.jsonl" --turns 2000
python3 - "$rlm" "$work" "$runs" <<'PY'
import json, os, re, subprocess, sys, time
sys.path.insert(0, "tests/bench")
import check_chart_render as chart
rlm, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
chromium = chart.find_chromium()
if chromium is None:
    sys.exit("view.sh: no chromium on PATH (apt-get install chromium)")
page = os.path.join(work, "big.html")
view, render = [], []
for run in range(runs):
    start = time.monotonic()
    subprocess.run([rlm, "-q", "view", os.path.join(work, "big.jsonl"), "-o", page], check=True, timeout=120)
    view.append(time.monotonic() - start)
    dom = subprocess.run([chromium, "--headless", "--disable-gpu", "--no-sandbox",
                          f"--user-data-dir={work}/profile", "--proxy-server=127.0.0.1:9",
                          "--dump-dom", "file://" + page], capture_output=True, text=True,
                         timeout=120).stdout
    render.append(float(re.search(r'data-render-ms="([0-9.]+)"', dom).group(1)) / 1000)
    print(f"view.sh: run {run + 1}: rlm view {view[-1]:.3f} s, render {render[-1]:.3f} s", file=sys.stderr)
mb = lambda path: os.path.getsize(path) / 1e6
print(json.dumps({"name": "view", "view_s": view, "render_s": render, "page_MB": [mb(page)],
                  "trajectory_MB": [mb(os.path.join(work, "big.jsonl"))]}))
PY
