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
    "attrib.lua": "require, package and the file system throughout",
    "bitwise.lua": "needs bwcoercion (string coercions through the hidden string metatable)",
    "calls.lua": "load with reader functions, string.dump and debug throughout",
    "coroutine.lua": "coroutine.close (removed: 5.4.4 crashes on nested closes) and debug hooks",
    "literals.lua": "line numbers through debug.getinfo inside loaded chunks throughout",
    "locals.lua": "debug hooks and debug.getinfo throughout, tracegc's __gc",
}

# file: [(first line, last line, why)], blanked before the run.
IO = "io is not in the sandbox"
DEBUG = "the debug library is not in the sandbox"
DUMP = "string.dump is not in the sandbox (no bytecode is loaded)"
NAME = "expects the chunk to be named after its file; a cell is named 'cell'"
MOVE = "table.move refuses ranges over 2^26 (the stock loop cannot be interrupted)"
DEBUG_MT = "debug.setmetatable (metatables for basic types) is not in the sandbox"
PACKAGE = "package is not in the sandbox"
CUTS = {
    "closure.lua": [(230, 268, DEBUG)],
    "constructs.lua": [(279, 279, DEBUG)],
    "events.lua": [(196, 196, IO), (436, 463, DEBUG_MT)],
    "goto.lua": [(186, 218, DEBUG)],
    "nextvar.lua": [(273, 283, PACKAGE), (334, 352, IO)],
    "sort.lua": [(163, 180, MOVE)],
    "strings.lua": [(168, 169, IO)],
    "errors.lua": [(203, 203, IO), (212, 218, DEBUG), (221, 221, IO), (224, 224, IO),
                   (226, 226, IO), (229, 229, IO), (250, 250, IO), (253, 266, DUMP),
                   (316, 316, IO), (547, 549, NAME)],
}

# The SHA-256 of each file that runs, at v5.4.4.
HASHES = {
    "big.lua": "31540e5da7e391027b0d939611f0d581e267071c251e7ffdc847b8844665ab6d",
    "closure.lua": "ee5b3a3800cc27a265eff2fce8fc2e262c9b805183fb108ed9c9baf5e90625a4",
    "constructs.lua": "e20309ab5b6f14fdfb2c4b30cbda4a14c9c55a79f12088fefc3590f1fb803dd3",
    "cstack.lua": "f3f5accd213eb83f70a40422abae977a01a198cb126217a7754b66a9656a853b",
    "errors.lua": "3d60ed39749373ddd893d15b04c54911ce728f3fa0c948209b0dffe0369ec921",
    "events.lua": "8e122441786b465271e01f7f1dd536661e0da3756da5c26c9df84d811df33b6f",
    "goto.lua": "a082e103d195f097f9c38b518eca90d7142d3b5c8eb269a3325bb927ef164c77",
    "math.lua": "b07ec4f8f0a82d330f9c473abedc055008469babd7f5d519da6ed4e2b42a8dbb",
    "nextvar.lua": "6fb5677a131be3a6d7ead927fcdaf0c18110fa8ef321e229957881fea93e4296",
    "pm.lua": "9823467dcfba5dc523b7cfbc29de0e47a5ceba200b0710c3fe6511bf6f8c2be9",
    "sort.lua": "0e222a8f9122437f9053cb78194f25ae04632cd462c3bf689bab5a5f8c1ed920",
    "strings.lua": "5ba4b96551e01801eccfb27ab3e58bedea79c07699d4b952d8553b3e5037a745",
    "tpack.lua": "114e7461efa0d890bfaf2c018cc781c6b3608d7d645576443956af20d2319887",
    "utf8.lua": "1a7916de30fcdc3aab9f3ea1012186bbd7b73293cab87a8b30244eca808aa9c4",
    "vararg.lua": "ddda1a6ae9c9b6873ca408112ce8ec404fea8d68a8179366569fd5b530f827df",
    "verybig.lua": "f644e20c6030e055d5a07f6620aad3ad28fc8d99067e33094c80f3408691a38d",
}

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
    if HASHES.get(name) != digest:
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
    args.rlm = os.path.abspath(args.rlm)
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
