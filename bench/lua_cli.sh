#!/usr/bin/env bash
# Whole program: `rlm lua` over a 100 MB file, from exec to exit (read, validate UTF-8, load,
# one regex cell). Prints one JSON line: {"name": "lua_cli", "seconds_s": [one per run]}.
# Usage: bench/lua_cli.sh [path/to/rlm]   (RUNS=3 runs)
set -euo pipefail
rlm=${1:-build/release/rlm}
runs=${RUNS:-3}
file=$(mktemp /tmp/rlm-bench-XXXXXX.log)
trap 'rm -f "$file"' EXIT
python3 - "$file" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    size = 0
    while size < 100 * 1024 * 1024:
        line = f"2026-11-22T10:00:00 service=api request={i} status=200 ok\n"
        f.write(line); size += len(line); i += 1
    f.write("2026-11-22T10:00:01 service=db NEEDLE status=500\n")
PY
timeout 60 "$rlm" lua --context "$file" -e 'print(#context)' >/dev/null # warm the page cache
list=""
for ((run = 0; run < runs; run++)); do
  start=$(date +%s%N)
  out=$(timeout 60 "$rlm" lua --context "$file" -e 'print(re.count(context, "NEEDLE"))')
  end=$(date +%s%N)
  [ "$out" = 1 ] || { echo "lua_cli.sh: expected 1 needle, got '$out'" >&2; exit 1; }
  list+="${list:+, }$(( (end - start) / 1000 ))e-6"
done
echo "{\"name\": \"lua_cli\", \"seconds_s\": [$list]}"
