#!/usr/bin/env python3
"""Writes docs/benchmarks.md from a template and the results of bench/run.sh (stdlib only).

    write_benchmarks_md.py machine BUILD_DIR REPETITIONS > RESULTS/machine.json
    write_benchmarks_md.py render RESULTS TEMPLATE OUTPUT

RESULTS holds machine.json, rlm_bench.json (Google Benchmark's JSON) and scripts.jsonl (one
JSON object per line from the bench/*.sh scripts: {"name": ..., "<field>": [samples]}).
The template is the document's prose with placeholders:
    {{machine}}              the machine, compiler, date and commit of the measurement
    {{repetitions}}          how each result was summarised
    {{NAME FIELD}}           a result: the median of its samples, with the range in brackets
    {{NAME FIELD < LIMIT}}   "met" or "not met": whether the median is below LIMIT (or > above)
NAME is a Google Benchmark run name as `rlm_bench --benchmark_list_tests` prints it, less
/iterations:N, /manual_time and /real_time; or a script's name. FIELD is `time` (real time),
`cpu`, `over:COUNTER` (the real time above COUNTER, in per cent), `bytes_per_second`, or a
counter. A counter's name gives its unit: `_s` seconds, `_MB` megabytes, `_x` a ratio, `_pct`
per cent; other names are plain numbers. LIMIT is a number with one of the units ns us µs ms
s, B/s KB/s MB/s GB/s, MB, x, %.
A placeholder whose result is missing or failed is an error: nothing is written, the exit
status is 1, and every such placeholder is named.
"""
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
RATE_UNITS = {"B/s": 1.0, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9}
GBENCH_SKIP = {"family_index", "per_family_instance_index", "repetitions", "repetition_index",
               "threads", "iterations", "real_time", "cpu_time"}


class Failure(Exception):
    pass


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- machine -------------------------------------------------------------------------------

def first_match(pattern, text, default="unknown"):
    m = re.search(pattern, text, re.M)
    return m.group(1).strip() if m else default


def git(*args):
    """Git's output, or None outside a checkout."""
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def machine(build_dir, repetitions):
    cpu = first_match(r"^model name\s*:(.*)$", read("/proc/cpuinfo"))
    cpu = re.sub(r"\s+", " ", re.sub(r"\((R|TM)\)|\bCPU\b", "", cpu)).strip()
    mem_kb = int(first_match(r"^MemTotal:\s*(\d+)", read("/proc/meminfo"), "0"))
    os_name = first_match(r'^PRETTY_NAME="?([^"\n]*)', read("/etc/os-release"))
    compiler = "unknown compiler"
    for path in glob.glob(os.path.join(build_dir, "CMakeFiles", "*", "CMakeCXXCompiler.cmake")):
        text = read(path)
        ident = first_match(r'CMAKE_CXX_COMPILER_ID "([^"]*)"', text)
        version = first_match(r'CMAKE_CXX_COMPILER_VERSION "([^"]*)"', text)
        compiler = f"{'GCC' if ident == 'GNU' else ident} {version}"
    commit, status = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 2**20),
            "os": os_name, "compiler": compiler, "date": datetime.date.today().isoformat(),
            "commit": (commit or "unknown").strip(), "dirty": bool(status and status.strip()),
            "load": round(os.getloadavg()[0], 1), "repetitions": repetitions}


def machine_line(m):
    commit = m["commit"] + (" with uncommitted changes" if m["dirty"] else "")
    return (f"Machine: {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB, {m['os']}, "
            f"{m['compiler']}. Measured {m['date']} at commit {commit}; load average "
            f"{m['load']} at the start.")


def repetitions_text(m):
    n = m["repetitions"]
    if n <= 1:
        return "a single short run (`bench/run.sh --quick`), so no range is given"
    return f"the median of {n} runs, with the lowest and highest in brackets"


# ---- results -------------------------------------------------------------------------------

def load_gbench(path, results):
    for b in json.loads(read(path))["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        name = re.sub(r"/(iterations:\d+|min_time:[0-9.]+|repeats:\d+|manual_time|real_time)",
                      "", b.get("run_name", b["name"]))
        entry = results.setdefault(name, {})
        if b.get("error_occurred"):
            entry["error"] = b.get("error_message", "failed")
            continue
        scale = TIME_UNITS[b.get("time_unit", "ns")]
        entry.setdefault("time", []).append(b["real_time"] * scale)
        entry.setdefault("cpu", []).append(b["cpu_time"] * scale)
        for key, value in b.items():
            if key not in GBENCH_SKIP and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                entry.setdefault(key, []).append(float(value))


def load_scripts(path, results):
    for number, line in enumerate(read(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise Failure(f"{path}:{number}: not JSON ({e}): {line[:80]}")
        entry = results.setdefault(obj.pop("name"), {})
        for key, value in obj.items():
            if isinstance(value, list):
                entry.setdefault(key, []).extend(float(v) for v in value)
            elif key == "error":  # the script could not measure it (lua_suite without lua5.4)
                entry["error"] = str(value)


def samples(results, name, field):
    if name not in results:
        raise Failure(f"{name}: no result (did the benchmark run, and is the name right?)")
    entry = results[name]
    if "error" in entry:
        raise Failure(f"{name}: the benchmark failed: {entry['error']}")
    if field.startswith("over:"):
        ideal = samples(results, name, field[5:])
        return [(t / i - 1) * 100 for t, i in zip(samples(results, name, "time"), ideal)]
    if field not in entry or not entry[field]:
        fields = ", ".join(sorted(k for k in entry if k != "error"))
        raise Failure(f"{name}: no field {field!r} (it has: {fields})")
    return entry[field]


# ---- formatting ----------------------------------------------------------------------------

def kind(field):
    if field.startswith("over:") or field.endswith("_pct"):
        return "%"
    if field in ("time", "cpu") or field.endswith("_s"):
        return "time"
    if field.endswith("bytes_per_second"):
        return "rate"
    if field.endswith("_MB"):
        return "MB"
    if field.endswith("_x"):
        return "x"
    return ""


def digits(v, k=""):
    a = abs(v)
    if k == "%":
        return f"{v:.0f}" if a >= 10 else f"{v:.1f}"
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def scaled(k, median):
    """The display unit for a kind and a typical value: (divisor, before unit, after unit)."""
    if k == "time":
        for unit, size in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
            if abs(median) >= size:
                return size, "", f" {unit}"
        return 1e-9, "", " ns"
    if k == "rate":
        return (1e9, "", " GB/s") if median >= 1e9 else (1e6, "", " MB/s")
    if k == "%":
        return 1.0, "+" if median >= 0 else "", "%"
    if k == "MB":
        return 1.0, "", " MB"
    if k == "x":
        return 1.0, "", "×"
    return 1.0, "", ""


def show(values, field):
    k, median = kind(field), statistics.median(values)
    size, sign, unit = scaled(k, median)
    text = f"{sign}{digits(median / size, k)}{unit}"
    low, high = digits(min(values) / size, k), digits(max(values) / size, k)
    if len(values) > 1 and low != high:
        text += f" ({low}–{high})"
    return text


def limit_value(field, text):
    m = re.fullmatch(r"([0-9.]+)\s*(\S*)", text)
    if not m:
        raise Failure(f"limit {text!r} is not a number with a unit")
    number, unit = float(m.group(1)), m.group(2)
    k = kind(field)
    if k == "time" and unit in TIME_UNITS:
        return number * TIME_UNITS[unit]
    if k == "rate" and unit in RATE_UNITS:
        return number * RATE_UNITS[unit]
    if unit == k:
        return number
    raise Failure(f"limit {text!r}: unit {unit!r} does not fit field {field!r}")


def fill(placeholder, results, info):
    if placeholder == "machine":
        return machine_line(info)
    if placeholder == "repetitions":
        return repetitions_text(info)
    m = re.fullmatch(r"(\S+)\s+(\S+)(?:\s*([<>])\s*(.+))?", placeholder)
    if not m:
        raise Failure(f"cannot read the placeholder {{{{{placeholder}}}}}")
    name, field, op, limit = m.groups()
    values = samples(results, name, field)
    if not op:
        return show(values, field)
    median, bound = statistics.median(values), limit_value(field, limit)
    return "met" if (median < bound if op == "<" else median > bound) else "not met"


def render(results_dir, template_path, output_path):
    info = json.loads(read(os.path.join(results_dir, "machine.json")))
    results = {}
    load_gbench(os.path.join(results_dir, "rlm_bench.json"), results)
    load_scripts(os.path.join(results_dir, "scripts.jsonl"), results)
    errors, used = [], set()

    def replace(match):
        placeholder = match.group(1)
        used.add(placeholder.split()[0])
        try:
            return fill(placeholder, results, info)
        except Failure as e:
            if str(e) not in errors:
                errors.append(str(e))
            return match.group(0)

    text = re.sub(r"\{\{\s*(.+?)\s*\}\}", replace, read(template_path))
    if errors:
        for e in errors:
            print(f"write_benchmarks_md.py: error: {e}", file=sys.stderr)
        print(f"write_benchmarks_md.py: {output_path} left as it was", file=sys.stderr)
        return 1
    for name in sorted(set(results) - used):
        print(f"write_benchmarks_md.py: note: {name} is not in the document", file=sys.stderr)
    with open(output_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("<!-- Generated by bench/run.sh from bench/benchmarks.md.in: edit that, not this."
                " -->\n" + text)
    os.replace(output_path + ".tmp", output_path)
    return 0


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "machine":
            print(json.dumps(machine(argv[2], int(argv[3]))))
            return 0
        if len(argv) == 5 and argv[1] == "render":
            return render(argv[2], argv[3], argv[4])
    except (Failure, OSError, KeyError, ValueError) as e:
        print(f"write_benchmarks_md.py: error: {e}", file=sys.stderr)
        return 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
