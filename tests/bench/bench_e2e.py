#!/usr/bin/env python3
"""End to end: `rlm bench niah --lengths 4k..128k` through the built binary against the
fake provider with a scripted model (its scores prove the machinery, not a model's
accuracy, and every record is labelled so). Shows that:
  - results are written as tasks finish, and a kill -9 mid-run loses no finished task;
  - the same command run again finishes the rest, with no key twice;
  - Ctrl-C (SIGINT) stops with exit 130 and a rerun goes on;
  - vanilla at lengths past the model's window is recorded as truncated, never cut silently;
  - `rlm bench report` reprints the table and writes the chart; with --render, the chart is
    checked in headless Chromium (exit 77, skipped, when none is installed);
  - `rlm bench show` prints byte-identical documents for the same seed.

    bench_e2e.py --rlm build/ci/rlm --source-dir . [--render]
"""
import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake_provider"))
import running  # noqa: E402

LABEL = "scripted model (fake provider): not model accuracy"
TIMEOUT = 120


def fake_provider(source, workdir, latency_ms):
    with open(os.path.join(source, "tests/bench/niah-script.json")) as f:
        script = json.load(f)
    for rule in script["replies"]:
        rule["latency_ms"] = latency_ms
    return running.fake_provider(source, workdir, script)


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


def records(path):
    out = []
    with open(path) as f:
        for line in f:
            with contextlib.suppress(ValueError):
                r = json.loads(line)
                if r.get("type") == "task":
                    out.append(r)
    return out


def wait_for_records(path, n, proc):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if os.path.exists(path) and len(records(path)) >= n:
            return
        check(proc.poll() is None, f"rlm bench ended before writing {n} records")
        time.sleep(0.02)
    check(False, f"no {n} records within {TIMEOUT} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rlm", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--render", action="store_true", help="only: check the chart in Chromium")
    args = ap.parse_args()
    rlm = os.path.abspath(args.rlm)
    source = os.path.abspath(args.source_dir)

    with tempfile.TemporaryDirectory(prefix="rlm-bench-e2e-") as tmp, \
            fake_provider(source, tmp, 0 if args.render else 120) as url:
        config = os.path.join(tmp, "rlm.toml")
        with open(config, "w") as f:
            f.write(f'[[providers]]\nprovider_type = "ollama"\nbase_url = "{url}"\n'
                    f'model = "scripted"\nrole = "root"\n')
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8"}
        out = os.path.join(tmp, "results.jsonl")
        command = [rlm, "--config", config, "bench", "niah", "--lengths", "4k..128k",
                   "--out", out, "--jobs", "2", "--label", LABEL]

        def run(cmd, **kw):
            return subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True,
                                  timeout=TIMEOUT, **kw)

        if args.render:
            short = command[:command.index("--lengths")] + ["--lengths", "4k..64k", "--positions", "0.5"] + \
                command[command.index("--lengths") + 2:]
            done = run(short)
            check(done.returncode == 0, f"rlm bench failed: {done.stderr}")
            chart = os.path.join(tmp, "chart.html")
            done = run([rlm, "bench", "report", out, "--chart", chart])
            check(done.returncode == 0, f"rlm bench report failed: {done.stderr}")
            render = subprocess.run([sys.executable, os.path.join(source, "tests/bench/check_chart_render.py"),
                                     chart], capture_output=True, text=True, timeout=TIMEOUT)
            print(render.stdout + render.stderr, end="")
            return render.returncode

        # 1. kill -9 after some tasks: what was written stays.
        proc = subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        wait_for_records(out, 5, proc)
        proc.kill()
        proc.wait(timeout=10)
        with open(out, "rb") as f:
            before = f.read()
        first = records(out)
        check(0 < len(first) < 36, f"the killed run wrote {len(first)} records")

        # 2. The same command again finishes the rest: no loss, no duplicates.
        done = run(command)
        check(done.returncode == 0, f"the rerun failed ({done.returncode}): {done.stderr}")
        check("already done (skipped)" in done.stderr, f"the rerun did not skip: {done.stderr}")
        with open(out, "rb") as f:
            after = f.read()
        # A line cut by the kill is ended, and never rewritten; all else is kept byte for byte.
        check(after.startswith(before), "the rerun changed what the first run wrote")
        final = records(out)
        keys = [r["key"] for r in final]
        check(len(keys) == 36, f"{len(keys)} records, not 36 (6 lengths x 3 positions x 2 methods)")
        check(len(set(keys)) == 36, "a task was recorded twice")
        check(all(r["label"] == LABEL for r in final), "a record lacks the scripted label")
        for r in final:
            if r["method"] == "rlm":
                check(r["score"] == 1.0 and r["status"] == "ok", f"rlm task failed: {r}")
            elif r["length_tokens"] >= 32768:
                check(r["status"] == "truncated" and r["score"] == 0, f"vanilla past the window: {r}")
            else:
                check(r["score"] == 1.0, f"vanilla within the window: {r}")
        check(f"label: {LABEL}" in done.stdout, "the table does not show the label")
        check("   128k  rlm          3    100.0%" in done.stdout, f"table: {done.stdout}")
        check("   128k  vanilla      3      0.0%         3" in done.stdout, f"table: {done.stdout}")

        # 3. Run once more: nothing to do, same table.
        again = run(command)
        check(again.returncode == 0 and "0 tasks to run; 36 already done" in again.stderr, again.stderr)
        check(again.stdout == done.stdout, "the table changed without new results")

        # 4. Ctrl-C: exit 130, nothing half-written, and a rerun completes.
        out2 = os.path.join(tmp, "interrupted.jsonl")
        command2 = command[:command.index("--out")] + ["--out", out2] + command[command.index("--out") + 2:]
        proc = subprocess.Popen(command2, env=env, cwd=tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        wait_for_records(out2, 3, proc)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        check(proc.returncode == 130, f"Ctrl-C gave exit {proc.returncode}: {stderr}")
        check("run the same command again" in stderr, stderr)
        with open(out2, "rb") as f:
            check(f.read().endswith(b"\n"), "an interrupted run left half a line")
        done = run(command2)
        check(done.returncode == 0, done.stderr)
        keys = [r["key"] for r in records(out2)]
        check(len(keys) == 36 and len(set(keys)) == 36, f"after Ctrl-C and a rerun: {len(keys)} records")

        # 5. The report reprints the table and writes a self-contained chart.
        chart = os.path.join(tmp, "results.html")
        report = run([rlm, "bench", "report", out])
        check(report.returncode == 0, report.stderr)
        first_table = run(command).stdout  # the table rlm bench printed for this file
        check(report.stdout == first_table, f"report: {report.stdout}\nbench: {first_table}")
        check(os.path.exists(chart), "no chart next to the results")
        html = open(chart).read()
        check("scripted model" in html and "<svg" in html and "<script" not in html, "chart content")

        # 6. Generation is deterministic from the binary.
        show = [rlm, "bench", "show", "niah", "--length", "8k", "--position", "0.3", "--seed", "5"]
        a, b = run(show), run(show)
        check(a.returncode == 0 and a.stdout == b.stdout and len(a.stdout) > 32000, "bench show")
        c = run(show[:-1] + ["6"])
        check(c.stdout != a.stdout, "another seed gave the same document")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
