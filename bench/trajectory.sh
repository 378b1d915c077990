#!/usr/bin/env bash
# The fixed trajectory issue 15 compares rlm with the Python RLMs on: against the fake
# provider, a scripted root runs 3 turns (look at the document, 8 batched sub-calls over its
# chunks, FINAL) over a 500 KB document (each sub-call gets its whole 62.5 KB chunk; over
# 100 MB, the first 64 KiB of each), at 0 and at 200 ms of model latency, and the same
# over a 100 MB document at 0 ms. A scripted model proves the machinery, not answer quality.
# Each run is the whole process, start-up and document load included; peak memory is the
# largest process's (rlm or its Lua worker: wait4's ru_maxrss covers the process and the
# children it waited for).
# Prints one JSON line, {"name": "trajectory", "<case>_s": [...], "<case>_peak_MB": [...],
# ...}, and a summary on stderr.
# Usage: bench/trajectory.sh [path/to/rlm]   (default build/release/rlm; RUNS=3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/rlm-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$rlm" "$runs" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
work, rlm, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, "tests/fake_provider")
import running  # noqa: E402  (the launcher the e2e tests use)


def document(path, size):
    line = "2026-11-22 12:00:00 service=api request={} status=200 ok\n"
    with open(path, "w") as f:
        written, i = 0, 0
        while written < size:
            text = line.format(i) if i != 7000 else "2026-11-22 12:00:00 service=db request=7000 status=500 NEEDLE\n"
            f.write(text)
            written += len(text)
            i += 1


turn1 = "```lua\nprint(#context, context_lines)\nprint(grep('status=500', 0, 3)[1].text)\n```"
turn2 = ("```lua\nlocal parts = chunk(context, math.ceil(#context / 8))\nlocal prompts = {}\n"
         "for i = 1, 8 do prompts[i] = 'Which request failed in this part?\\n' .. (parts[i] or ''):sub(1, 65536) end\n"
         "answers = llm_query_batched(prompts)\nprint(#answers)\n```")
turn3 = "```lua\nFINAL(answers[1])\n```"


def script(latency_ms):
    return {"models": [{"name": "m", "context_length": 1_000_000}],
            "replies": [{"match": {"contains": "Which request failed"}, "text": "request 7000",
                         "latency_ms": latency_ms},
                        {"match": {"contains": "Question:"}, "text": turn1, "latency_ms": latency_ms},
                        {"match": {"contains": "turn 1 of"}, "text": turn2, "latency_ms": latency_ms},
                        {"match": {"contains": "turn 2 of"}, "text": turn3, "latency_ms": latency_ms}],
            "default": {"text": "```lua\nFINAL('off script')\n```"}}


def one_run(doc, latency_ms):
    with running.fake_provider(".", work, script(latency_ms)) as url:
        config = os.path.join(work, "rlm.toml")
        with open(config, "w") as f:
            f.write(f'max_iterations = 5\nbypass_enabled = false\n[[providers]]\nprovider_type = "ollama"\n'
                    f'base_url = "{url}"\nmodel = "m"\nrole = "root"\n'
                    f'context_length = 1000000\nmax_concurrency = 8\n')
        start = time.perf_counter()
        proc = subprocess.Popen([rlm, "-q", "--config", config, "ask", "-c", doc, "--json",
                                 "Which request failed?"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        stdout, stderr = proc.stdout.read(), proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    answer = json.loads(stdout) if proc.returncode == 0 else {}
    if proc.returncode != 0 or answer.get("answer") != "request 7000" or answer.get("iterations") != 3:
        sys.exit(f"trajectory.sh: the run went off script (exit {proc.returncode}): "
                 f"{stdout[:200]} {stderr[:300]}")
    return seconds, usage.ru_maxrss / 1024


cases = [("small_0ms", 500_000, 0), ("small_200ms", 500_000, 200), ("large_0ms", 100 * 2**20, 0)]
out = {"name": "trajectory"}
for name, size, latency in cases:
    doc = os.path.join(work, f"{name}.txt")
    document(doc, size)
    out[f"{name}_s"], out[f"{name}_peak_MB"] = [], []
    for _ in range(runs):
        seconds, peak = one_run(doc, latency)
        out[f"{name}_s"].append(seconds)
        out[f"{name}_peak_MB"].append(peak)
    out[f"{name}_peak_over_size_x"] = [p * 2**20 / size for p in out[f"{name}_peak_MB"]]
    os.remove(doc)
    print(f"{name}: {statistics.median(out[f'{name}_s']) * 1000:.1f} ms median of {runs}, "
          f"peak {max(out[f'{name}_peak_MB']):.1f} MB", file=sys.stderr)
print(json.dumps(out))
PY
