#!/usr/bin/env python3
"""Lua 5.4.4's own test suite (lua/lua `testes/`, tag v5.4.4) inside `rlm lua` (opt-in; CI
skips it). Each runnable file runs as one cell of a fresh `rlm lua`, with the parts that test
what the sandbox removes on purpose blanked out line by line (so error positions keep the
file's own line numbers): the debug library, io, the full os, require/package, string.dump,
__gc finalizers, collectgarbage's tuning options, coroutine.close, warn, reader-function
load, the string metatable, and the C API (`T`). CUTS below says which lines and why.

    git -C "$(fetch github:lua/lua)" archive v5.4.4 testes | tar -x -C /tmp/lua
    RLM_LUA_TESTES=/tmp/lua/testes tests/conformance/lua_testes.py --rlm build/ci/rlm [FILE...]

Prints one line per file (pass or fail, seconds, the first error line). Exit 0 when every
file passes, 1 when one fails, 77 (skipped) without RLM_LUA_TESTES. The files are checked
against their v5.4.4 hashes first, since the cuts are line numbers.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

# Files of the suite that do not run here at all, and why.
EXCLUDED = {
    "all.lua": "the driver: dofile, io, os.exit",
    "api.lua": "the C API through the T library (returns at once without it)",
    "code.lua": "opcodes through the T library (returns at once without it)",
    "db.lua": "the debug library throughout",
    "files.lua": "io and os.execute, os.remove, os.tmpname throughout",
    "gc.lua": "__gc finalizers and collectgarbage's tuning options throughout",
    "gengc.lua": "the generational collector and the T library",
    "main.lua": "the standalone lua interpreter (os.execute)",
    "tracegc.lua": "a helper module: __gc and io (require 'tracegc' gets a stand-in)",
    "heavy.lua": "not part of the suite (all.lua never runs it): gigabytes on purpose",
    "bwcoercion.lua": "a helper module that rewrites the hidden string metatable",
}

# file: [(first line, last line, why)], blanked before the run.
CUTS = {}

# The SHA-256 of each file at v5.4.4 that has cuts or runs.
HASHES = {}

# One line, put before line 1 so every line keeps its number.
PREAMBLE = (
    "_port = true; _soft = true; _nomsg = true; "
    "local require = function(name) "
    "if name == 'tracegc' then return {start = function() end, stop = function() end} end "
    "return ({string = string, table = table, math = math, utf8 = utf8, "
    "coroutine = coroutine, os = os})[name] end; "
)


def cut(name, text):
    lines = text.split("\n")
    for first, last, _ in CUTS.get(name, []):
        for i in range(first - 1, last):
            lines[i] = ""
    return PREAMBLE + "\n".join(lines)


def run_file(rlm, directory, name, timeout):
    path = os.path.join(directory, name)
    with open(path, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if name in HASHES and HASHES[name] != digest:
        return False, 0.0, f"{name} is not the v5.4.4 file (sha256 {digest[:12]}...)"
    with tempfile.NamedTemporaryFile(suffix=".lua") as script:
        script.write(cut(name, raw.decode("latin-1")).encode("latin-1"))
        script.flush()
        started = time.monotonic()
        proc = subprocess.run(
            [rlm, "lua", "--timeout", str(timeout), "--memory-mb", "2048",
             "--max-output", "65536", script.name],
            cwd=directory, capture_output=True, timeout=timeout + 30)
    seconds = time.monotonic() - started
    errors = [l for l in proc.stderr.decode("utf-8", "replace").splitlines() if "error" in l]
    return proc.returncode == 0, seconds, (errors[0] if errors else f"exit {proc.returncode}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rlm", required=True)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    directory = os.environ.get("RLM_LUA_TESTES")
    if not directory:
        print("skipped: set RLM_LUA_TESTES to a checkout of lua/lua testes/ at v5.4.4")
        return 77
    names = args.files or sorted(
        n for n in os.listdir(directory) if n.endswith(".lua") and n not in EXCLUDED)
    failed = 0
    total = time.monotonic()
    for name in names:
        ok, seconds, why = run_file(args.rlm, directory, name, args.timeout)
        failed += not ok
        print(f"{'pass' if ok else 'FAIL'} {name:16} {seconds:6.2f} s" + ("" if ok else f"  {why}"))
    print(f"{len(names) - failed} of {len(names)} files pass ({time.monotonic() - total:.1f} s); "
          f"not run: {', '.join(sorted(EXCLUDED))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
