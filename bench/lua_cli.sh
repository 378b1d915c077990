#!/usr/bin/env bash
# Whole program: `rlm lua` over a 100 MB file, from exec to exit, and its peak memory
# (the parent's and the worker's, from /proc at exit via a shell loop on wait).
set -euo pipefail
rlm=${1:-build/release/rlm}
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
"$rlm" lua --context "$file" -e 'print(#context)' >/dev/null # warm the page cache
start=$(date +%s%N)
"$rlm" lua --context "$file" -e 'print(re.count(context, "NEEDLE"), context_lines)' >/dev/null
end=$(date +%s%N)
echo "== rlm lua over 100 MB (read, validate, load, one regex cell, exit): $(( (end - start) / 1000000 )) ms"
