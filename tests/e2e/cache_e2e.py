#!/usr/bin/env python3
"""End to end: the model-call cache through the built binary against the fake provider.
A second identical run with --cache sends the fake no chat request and gives the same
answer; a temperature above 0 is never cached; the API key never reaches the file; a corrupt
or unusable cache file is one warning and the run goes on; two rlm processes share one file;
`rlm cache stats` and `rlm cache clear` report and empty it.

    cache_e2e.py --rlm build/ci/rlm --source-dir . [CASE ...]
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from failures_e2e import TIMEOUT, config, expect, main  # noqa: E402

CANARY = "sk-canary-cache-0123456789abcdef"
# The root model reads the document, asks a sub-call, and answers with what it said.
CELL = "```lua\nlocal a = llm_query('What is the code? ' .. context:sub(1, 40))\nFINAL(a)\n```"
SCRIPT = {"replies": [{"match": {"contains": "What is the code?"}, "text": "7421"}],
          "default": {"text": CELL}}


def chats(requests):
    return len([r for r in requests() if "chat" in r["path"]])


def cache_config(url, extra="", root_extra=""):
    return config(url, extra=extra, root_extra=root_extra).replace("bypass_threshold = 100",
                                                                   "bypass_threshold = 10")


def ask(c, *flags, env=None):
    return c.run(["ask", "-c", "small.txt", "--json", *flags, "what is the code?"],
                 env_extra={"XDG_CACHE_HOME": os.path.join(c.tmp, "xdg"), **(env or {})})


def cache_file(c):
    return os.path.join(c.tmp, "xdg", "rlm", "calls.sqlite")


def a_second_run_sends_no_chat_request(c, source, url, requests):
    c.write("rlm.toml", cache_config(url))
    code, first, err = ask(c, "--cache")
    expect(code == 0, f"first run exit {code}", first, err)
    sent = chats(requests)
    expect(sent >= 2, f"{sent} chat requests: the loop did not run", first, err)
    code, second, err = ask(c, "--cache")
    expect(code == 0, f"second run exit {code}", second, err)
    expect(chats(requests) == sent, f"the second run sent {chats(requests) - sent} chat requests",
           second, err)
    a, b = json.loads(first), json.loads(second)
    expect(a["answer"] == b["answer"] == "7421", "the answers differ", second, err)
    expect("cache_hits" not in a["usage"]["total"], "the first run claims a hit", first, err)
    expect(b["usage"]["total"]["cache_hits"] == sent and b["usage"]["total"]["calls"] == 0,
           "the hits are not counted as such", second, err)
    expect("root: 0 answered calls" in err and "answered from the cache" in err,
           "the summary does not say the answers came from the cache", second, err)
    code, out, err = ask(c, "--cache", "--trajectory", "t.jsonl")
    turns = [json.loads(line) for line in open(os.path.join(c.tmp, "t.jsonl"))]
    turns = [t for t in turns if t["type"] == "iteration"]
    expect(turns and all(t.get("cached") for t in turns), "a turn is not marked cached", out, err)
    expect(all(s.get("cached") for t in turns for s in t["sub_calls"]), "a sub-call is not marked", out, err)
    code, off, err = ask(c, "--no-cache")
    expect(code == 0 and chats(requests) > sent, "--no-cache was answered from the cache", off, err)
    code, out, err = c.run(["cache", "stats", "--json"],
                           env_extra={"XDG_CACHE_HOME": os.path.join(c.tmp, "xdg")})
    stats = json.loads(out)
    expect(code == 0 and stats["entries"] >= 2 and stats["hits"] >= 2, "stats are wrong", out, err)
    expect(stats["path"] == cache_file(c), "stats name another file", out, err)
    code, out, err = c.run(["cache", "clear"], env_extra={"XDG_CACHE_HOME": os.path.join(c.tmp, "xdg")})
    expect(code == 0 and f"removed {stats['entries']} entries" in out, "clear did not say so", out, err)


def a_temperature_above_zero_is_never_cached(c, source, url, requests):
    c.write("rlm.toml", cache_config(url, root_extra="temperature = 0.7"))
    ask(c, "--cache")
    first = chats(requests)
    code, out, err = ask(c, "--cache")
    expect(code == 0 and first >= 2, f"exit {code}", out, err)
    # The root provider serves the sub-calls too: every call, at 0.7, is sent again.
    expect(chats(requests) == 2 * first, f"{2 * first - chats(requests)} calls were hits", out, err)
    expect(not os.path.exists(cache_file(c)) or "cache_hits" not in out, "a hit at 0.7", out, err)


def the_key_never_reaches_the_file(c, source, url, requests):
    c.write("rlm.toml", cache_config(url, root_extra='api_key_env = "CACHE_KEY"').replace(
        'api_key_env = ""\n', ""))
    code, out, err = ask(c, "--cache", env={"CACHE_KEY": CANARY})
    expect(code == 0, f"exit {code}", out, err)
    folder = os.path.dirname(cache_file(c))
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as f:
            expect(CANARY.encode() not in f.read(), f"the key is in {name}")


def a_broken_cache_file_is_one_warning(c, source, url, requests):
    c.write("rlm.toml", cache_config(url))
    os.makedirs(os.path.dirname(cache_file(c)))
    with open(cache_file(c), "wb") as f:
        f.write(b"garbage " * 2000)
    code, out, err = ask(c, "--cache")
    expect(code == 0 and json.loads(out)["answer"] == "7421", f"exit {code}", out, err)
    warnings = [line for line in err.splitlines() if "call cache" in line]
    expect(len(warnings) == 1 and "going on without the cache" in warnings[0], "not one warning", out, err)
    code, out, err = c.run(["cache", "stats"], env_extra={"XDG_CACHE_HOME": os.path.join(c.tmp, "xdg")})
    expect(code == 3 and "rlm: error: call cache" in err, f"stats exit {code}", out, err)
    # A folder that cannot be made (a file is in the way): the same.
    c.write("rlm.toml", cache_config(url, extra='[cache]\npath = "small.txt/calls.sqlite"\n'))
    code, out, err = ask(c, "--cache")
    expect(code == 0 and "going on without the cache" in err, f"exit {code}", out, err)


def two_processes_share_one_file(c, source, url, requests):
    c.write("rlm.toml", cache_config(url))
    env = {"PATH": os.environ["PATH"], "HOME": c.tmp, "LANG": "C.UTF-8",
           "XDG_CACHE_HOME": os.path.join(c.tmp, "xdg")}
    procs = [subprocess.Popen([c.rlm, "--config", "rlm.toml", "ask", "-c", "small.txt", "--cache",
                               f"question {i}"], cwd=c.tmp, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) for i in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        expect(p.returncode == 0 and out.decode().strip() == "7421", f"exit {p.returncode}",
               out.decode(), err.decode())
        expect("call cache" not in err.decode(), "a writer was refused", out.decode(), err.decode())


def record_turns_the_cache_off(c, source, url, requests):
    """A cassette must hold every exchange: under --record the cache is neither read nor
    filled, even with --cache."""
    c.write("rlm.toml", cache_config(url, extra="[cache]\nenabled = true\n"))
    for i in range(2):
        code, out, err = ask(c, "--cache", "--record", f"run{i}.cassette")
        expect(code == 0, f"exit {code}", out, err)
    expect(chats(requests) >= 4, f"{chats(requests)} chat requests: a recorded run used the cache")
    expect(not os.path.exists(cache_file(c)), "a recorded run opened the cache")


def a_bench_rerun_sends_no_chat_request(c, source, url, requests):
    c.write("rlm.toml", config(url, root="scripted", root_extra="context_length = 32768"))
    env = {"XDG_CACHE_HOME": os.path.join(c.tmp, "xdg")}
    results = []
    for out_file in ("first.jsonl", "second.jsonl"):
        before = chats(requests)
        code, out, err = c.run(["bench", "niah", "--lengths", "4k", "--positions", "0.5",
                                "--out", out_file, "--cache"], env_extra=env)
        expect(code == 0, f"{out_file}: exit {code}", out, err)
        results.append((chats(requests) - before,
                        [json.loads(line) for line in open(os.path.join(c.tmp, out_file))]))
    (sent, first), (resent, second) = results
    expect(sent >= 2 and resent == 0, f"the rerun sent {resent} of {sent} chat requests")
    pick = [("method", "answer", "score")]
    expect([[r.get(k) for k in pick[0]] for r in first] == [[r.get(k) for k in pick[0]] for r in second],
           f"the rerun's results differ: {first} {second}")


for case in (a_second_run_sends_no_chat_request, a_temperature_above_zero_is_never_cached,
             the_key_never_reaches_the_file, a_broken_cache_file_is_one_warning,
             two_processes_share_one_file, record_turns_the_cache_off):
    case.script = SCRIPT
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "niah-script.json")) as f:
    a_bench_rerun_sends_no_chat_request.script = json.load(f)
CASES = [a_second_run_sends_no_chat_request, a_temperature_above_zero_is_never_cached,
         the_key_never_reaches_the_file, a_broken_cache_file_is_one_warning,
         two_processes_share_one_file, record_turns_the_cache_off,
         a_bench_rerun_sends_no_chat_request]


if __name__ == "__main__":
    sys.exit(main(CASES, __doc__))
