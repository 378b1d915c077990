#!/usr/bin/env python3
"""The sizes of rlm's functions and files, against the limits CONTRIBUTING.md sets.

Functions are found by Universal Ctags (function definitions in src/, lambdas left out: they
are counted in the function that holds them). A function's size is its lines from the
signature to the closing brace.

  scripts/code_sizes.py            a summary and the largest functions and files
  scripts/code_sizes.py --check    also exits 1 when a limit is broken (a ctest test runs this)
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import sys

LIMITS = {"median": 10, "p90": 30, "max": 80, "file": 500}


def functions(root: pathlib.Path):
    ctags = shutil.which("ctags")
    if ctags is None:
        sys.exit("code_sizes: Universal Ctags is not installed (apt-get install universal-ctags)")
    out = subprocess.run(
        [ctags, "-R", "--languages=C++", "--kinds-C++=f", "--fields=+ne", "--output-format=json",
         "-o", "-", "src"],
        cwd=root, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        tag = json.loads(line)
        if tag.get("_type") != "tag" or tag["name"].startswith("__anon") or "end" not in tag:
            continue
        yield tag["path"], tag["name"], tag["line"], tag["end"] - tag["line"] + 1


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a limit is broken")
    parser.add_argument("--top", type=int, default=10, help="how many of the largest to list")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    found = list(functions(root))
    sizes = [size for *_, size in found]
    files = sorted(((len(p.read_text().splitlines()), p.relative_to(root).as_posix())
                    for p in (root / "src").rglob("*") if p.suffix in (".cpp", ".hpp")),
                   reverse=True)
    summary = {"median": statistics.median(sizes), "p90": percentile(sizes, 0.9),
               "max": max(sizes), "file": files[0][0]}
    print(f"{len(found)} functions in src/: median {summary['median']:g} lines, "
          f"p90 {summary['p90']}, largest {summary['max']}; {len(files)} files, "
          f"largest {files[0][0]} lines")
    print("largest functions:")
    for path, name, line, size in sorted(found, key=lambda f: -f[3])[:args.top]:
        print(f"  {size:4} {path}:{line} {name}")
    print("largest files:")
    for size, path in files[:args.top]:
        print(f"  {size:4} {path}")
    broken = [f"{key} {summary[key]:g} > {LIMITS[key]}" for key in LIMITS
              if summary[key] > LIMITS[key]]
    if broken:
        print("over the limits: " + "; ".join(broken))
        if args.check:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
