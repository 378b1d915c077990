#!/usr/bin/env python3
"""End to end: `--record FILE` then `--replay FILE` through the built binary. A run recorded
against the fake provider is served again with no server reached: the same answer, the same
trajectory and the same bench records apart from times. A replay that asks for something
the cassette does not hold ends with one line naming the request and where it differs. The
API key is in no line of the cassette. The model is scripted: this proves the machinery, not
a model's accuracy.

    replay_e2e.py --rlm build/ci/rlm --source-dir . [CASE ...]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from failures_e2e import CANARY, config, error_lines, expect, main, one_error  # noqa: E402

TIME_KEYS = {"seconds", "started", "started_at", "finished_at", "time", "elapsed", "wall_seconds",
             "duration_seconds", "ended_at", "date", "timestamp"}


def timeless(value):
    """`value` with every field that holds a time taken out, at any depth."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in TIME_KEYS and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def lines_of(path):
    with open(path) as f:
        return [timeless(json.loads(line)) for line in f if line.strip()]


def chats(requests):
    return [r for r in requests() if r["path"] in ("/v1/chat/completions", "/api/chat")]


def keyed(c, url):
    """The case's config with the root's key read from RLM_TEST_KEY."""
    c.write("rlm.toml", config(url, sub="sub-m").replace('api_key_env = ""', 'api_key_env = "RLM_TEST_KEY"'))


def a_replayed_run_is_the_recorded_run_without_the_network(c, source, url, requests):
    keyed(c, url)
    args = ["ask", "--no-bypass", "-c", "doc.txt", "--json", "How many requests failed?"]
    code, out, err = c.run(args + ["--record", "run.cassette", "--trajectory", "live.jsonl"],
                           env_extra={"RLM_TEST_KEY": CANARY})
    expect(code == 0, f"recording: exit {code}", out, err)
    live = json.loads(out)
    expect(live["answer"] == "3 of 400" and live["sub_calls"] == 4, "the recorded run", out, err)
    cassette = open(os.path.join(c.tmp, "run.cassette")).read()
    expect(CANARY not in cassette, "the key is in the cassette", cassette)
    expect(not os.path.exists(os.path.join(c.tmp, "run.cassette.partial")), "a .partial is left", out, err)
    sent = len(requests())

    code, out, err = c.run(args + ["--replay", "run.cassette", "--trajectory", "replayed.jsonl"])
    expect(code == 0, f"replay: exit {code}", out, err)
    expect(len(requests()) == sent, f"the replay reached the server: {len(requests()) - sent} requests", out, err)
    expect(timeless(json.loads(out)) == timeless(live), "the replayed --json differs", out, err)
    a, b = lines_of(os.path.join(c.tmp, "live.jsonl")), lines_of(os.path.join(c.tmp, "replayed.jsonl"))
    expect(len(a) == len(b), f"trajectories of {len(a)} and {len(b)} lines", out, err)
    for n, (x, y) in enumerate(zip(a, b), 1):
        expect(x == y, f"trajectory line {n} differs:\n{x}\n{y}", out, err)
    expect("warning" not in err, "the replay warned", out, err)

    # The same cassette, another question: the first request that differs is named.
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "--replay", "run.cassette",
                            "How many requests succeeded?"])
    print(error_lines(err)[0]) if os.environ.get("RLM_E2E_SHOW") else None
    one_error(code, out, err, 4, "replay: request", "is not in the cassette", "run.cassette",
              "differs at byte", "succeeded")
    expect(out == "", "an answer was printed", out, err)
    expect(len(requests()) == sent, "a failed replay reached the server", out, err)


a_replayed_run_is_the_recorded_run_without_the_network.script = {
    "models": [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 32768}],
    "replies": [
        {"match": {"model": "root-m", "call": 1}, "chunks": 5,
         "text": "```lua\nlocal parts = chunk(context, 4000)\nlocal prompts = {}\n"
                 "for i = 1, 4 do prompts[i] = 'Count failures in: ' .. parts[i] end\n"
                 "counts = llm_query_batched(prompts)\nprint(#counts)\n```"},
        {"match": {"model": "root-m"}, "text": "```lua\nFINAL('3 of 400')\n```"},
        {"match": {"model": "sub-m"}, "text": "1", "chunks": 2}]}


def record_and_replay_exclude_each_other_and_name_bad_files(c, source, url, requests):
    keyed(c, url)
    code, out, err = c.run(["ask", "-c", "doc.txt", "--record", "a", "--replay", "b", "q"])
    expect(code == 2 and "excludes" in err, f"both: exit {code}", out, err)
    code, out, err = c.run(["ask", "-c", "doc.txt", "--replay", "nope.cassette", "q"])
    one_error(code, out, err, 3, "cannot read the cassette", "nope.cassette")
    c.write("t.jsonl", '{"type":"run","trajectory_version":2}\n')
    code, out, err = c.run(["ask", "-c", "doc.txt", "--replay", "t.jsonl", "q"])
    one_error(code, out, err, 3, "t.jsonl line 1: not an rlm cassette")
    code, out, err = c.run(["ask", "-c", "doc.txt", "--record", "no/such/dir/c", "q"])
    one_error(code, out, err, 7, "cannot write the cassette")
    expect(requests() == [], "a request went out before the cassette was usable", out, err)


record_and_replay_exclude_each_other_and_name_bad_files.script = {"default": {"text": "FINAL(x)"}}


def a_bench_replays_in_parallel(c, source, url, requests):
    c.write("rlm.toml", f'[[providers]]\nprovider_type = "ollama"\nbase_url = "{url}"\n'
                        f'model = "scripted"\nrole = "root"\n')
    bench = ["bench", "niah", "--lengths", "4k..32k", "--positions", "0.5", "--jobs", "2"]
    code, out, err = c.run(bench + ["--out", "live.jsonl", "--record", "bench.cassette"])
    expect(code == 0, f"recording: exit {code}", out, err)
    sent = len(requests())
    code, out, err = c.run(bench + ["--out", "replayed.jsonl", "--replay", "bench.cassette"])
    expect(code == 0, f"replay: exit {code}", out, err)
    expect(len(requests()) == sent, "the replay reached the server", out, err)
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    a = sorted(map(key, lines_of(os.path.join(c.tmp, "live.jsonl"))))
    b = sorted(map(key, lines_of(os.path.join(c.tmp, "replayed.jsonl"))))
    expect(len(a) == 8 and a == b, f"bench records differ:\n{a}\n{b}", out, err)


with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "niah-script.json")) as f:
    a_bench_replays_in_parallel.script = json.load(f)

CASES = [a_replayed_run_is_the_recorded_run_without_the_network,
         record_and_replay_exclude_each_other_and_name_bad_files, a_bench_replays_in_parallel]


if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
