#!/usr/bin/env python3
"""End to end: each way a run can go wrong, met as a user meets it, through the built
binary against the fake provider (which replays replies recorded from a real llama.cpp
server where the case names a capture). Every case must end in the right answer, or in a
documented non-zero exit with one clear line on stderr: never an empty or partial answer
with exit 0. The model is scripted: this proves the machinery, not a model's accuracy.

    failures_e2e.py --rlm build/ci/rlm --source-dir . [CASE ...]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60
DOC = "".join(f"2026-11-{i % 28 + 1:02d} service=api request={i} status=200 ok\n" for i in range(400))


def fake(source, tmp, script):
    """The golden tests' fake provider, with @TMP@ in the script naming the case's folder."""
    sys.path.insert(0, os.path.join(source, "tests", "golden"))
    from run_golden import fake_provider
    return fake_provider(json.loads(json.dumps(script).replace("@TMP@", tmp)), source, tmp)


def config(url, root="root-m", sub=None, kind="openai", extra="", root_extra=""):
    base = url + "/v1" if kind == "openai" else url
    text = f"max_iterations = 4\nbypass_threshold = 100\n{extra}\n[[providers]]\nprovider_type = \"{kind}\"\n" \
           f"base_url = \"{base}\"\nmodel = \"{root}\"\nrole = \"root\"\napi_key_env = \"\"\n{root_extra}\n"
    if sub:
        text += f"\n[[providers]]\nprovider_type = \"ollama\"\nbase_url = \"{url}\"\nmodel = \"{sub}\"\nrole = \"sub\"\n"
    return text


class Case:
    def __init__(self, tmp, rlm):
        self.tmp, self.rlm = tmp, rlm
        with open(os.path.join(tmp, "doc.txt"), "w") as f:
            f.write(DOC)
        with open(os.path.join(tmp, "small.txt"), "w") as f:
            f.write("The code is 7421.\n")

    def write(self, name, text):
        with open(os.path.join(self.tmp, name), "w") as f:
            f.write(text)

    def start(self, args, env_extra=None, **kw):
        env = {"PATH": os.environ["PATH"], "HOME": self.tmp, "LANG": "C.UTF-8"}
        env.update(env_extra or {})
        kw.setdefault("cwd", self.tmp)
        return subprocess.Popen([self.rlm, "--config", os.path.join(self.tmp, "rlm.toml")] + args,
                                stdin=subprocess.DEVNULL, env=env, **kw)

    def run(self, args, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        proc = self.start(args, **kw)
        out, err = proc.communicate(timeout=TIMEOUT)
        return proc.returncode, (out or b"").decode(), (err or b"").decode()


def expect(condition, message, out="", err=""):
    if not condition:
        raise AssertionError(f"{message}\n--- stdout ---\n{out}--- stderr ---\n{err}")


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("rlm: error:")]


def one_error(code, out, err, exit_code, *needles):
    expect(code == exit_code, f"exit {code}, expected {exit_code}", out, err)
    lines = error_lines(err)
    expect(len(lines) == 1, f"{len(lines)} error lines, expected 1", out, err)
    for needle in needles:
        expect(needle in lines[0], f"the error line lacks {needle!r}", out, err)


# --- the cases -----------------------------------------------------------------------------

def streamed_overflow_error_line(c, source, url, requests):
    """llama-server: HTTP 200, an `error:` line, `data: [DONE]` (capture 41). Bypass and loop."""
    c.write("rlm.toml", config(url))
    code, out, err = c.run(["ask", "-c", "small.txt", "What is the code?"])
    one_error(code, out, err, 4, "does not fit the context window", "bigger window")
    expect(out == "", "an answer was printed", out, err)
    expect("answered directly" not in err, "the summary claims an answer", out, err)
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "What is the code?"])
    one_error(code, out, err, 4, "exceeds the available context size")
    expect(out == "", "an answer was printed", out, err)


streamed_overflow_error_line.script = {
    "replies": [{"replay": "llama-server/llama-server-noshift/41-noshift-long-prompt-stream"}]}


def context_length_caps_max_tokens_and_refuses_what_cannot_fit(c, source, url, requests):
    c.write("rlm.toml", config(url, root_extra="context_length = 512\nmax_tokens = 4096"))
    code, out, err = c.run(["ask", "-c", "small.txt", "What is the code?"])
    expect(code == 0 and out == "7421\n", f"exit {code}", out, err)
    sent = [r["body"]["max_tokens"] for r in requests() if r["path"] == "/v1/chat/completions"]
    expect(sent and sent[0] < 512, f"max_tokens sent: {sent}", out, err)
    chats = len(sent)
    c.write("big.txt", "word " * 2000)
    code, out, err = c.run(["ask", "--bypass-threshold", "100000", "-c", "big.txt", "Summarise"])
    one_error(code, out, err, 4, "does not fit the 512-token window", "characters")
    expect(len([r for r in requests() if r["path"] == "/v1/chat/completions"]) == chats,
           "a prompt that cannot fit was sent", out, err)


context_length_caps_max_tokens_and_refuses_what_cannot_fit.script = {"default": {"text": "7421"}}


def silent_truncation_is_a_truncated_bench_task(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, err = c.run(["bench", "niah", "--lengths", "4k", "--positions", "0.5",
                            "--methods", "vanilla", "--out", "runs.jsonl"])
    rows = [json.loads(l) for l in open(os.path.join(c.tmp, "runs.jsonl")) if '"task"' in l]
    expect(rows and all(r["status"] == "truncated" for r in rows), f"rows: {rows}", out, err)
    expect("cut the prompt" in err, "no warning on stderr", out, err)


# A server that read 1,027 prompt tokens of a 4k-token prompt (llama-server with context shift).
silent_truncation_is_a_truncated_bench_task.script = {
    "default": {"text": "the answer", "prompt_tokens": 1027}}


def a_missing_sub_model_stops_the_run(c, source, url, requests):
    c.write("rlm.toml", config(url, sub="nosuch:1b"))
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "Count the errors"])
    one_error(code, out, err, 4, "nosuch:1b", "ollama pull nosuch:1b")
    expect(out == "", "an answer was printed", out, err)
    expect(len([r for r in requests() if r["path"] == "/api/chat"]) == 0, "sub-calls went on", out, err)
    expect("1 failed" in err, "the summary does not count the failed sub-call", out, err)


a_missing_sub_model_stops_the_run.script = {
    "models": [{"name": "root-m", "context_length": 32768}],
    "replies": [{"match": {"model": "root-m"},
                 "text": "```lua\nfor i = 1, 20 do pcall(llm_query, 'count ' .. i) end\nFINAL('a guess')\n```"}]}


def a_transient_sub_call_failure_is_warned_and_counted(c, source, url, requests):
    c.write("rlm.toml", config(url, sub="sub-m", extra="[http]\nmax_retries = 0\n"))
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "q", "--json"])
    expect(code == 0, f"exit {code}", out, err)
    report = json.loads(out)
    expect(report["answer"] == "forty-two", "wrong answer", out, err)
    expect(report["sub_calls"] == 2 and report["sub_calls_failed"] == 1, "counts", out, err)
    expect(any("GPU fell over" in m for m in report["sub_call_errors"]), "messages", out, err)
    expect("rlm: warning: a sub-call failed" in err and "GPU fell over" in err, "no warning", out, err)
    expect("2 sub-calls (1 failed)" in err, "the summary disagrees with --json", out, err)


a_transient_sub_call_failure_is_warned_and_counted.script = {
    "models": [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 32768}],
    "replies": [{"match": {"model": "root-m"},
                 "text": "```lua\nlocal n = #context\npcall(llm_query, 'first')\nFINAL(llm_query('second'))\n```"},
                {"match": {"contains": "first"}, "status": 500, "error": "the GPU fell over"},
                {"match": {"contains": "second"}, "text": "forty-two"}]}


def a_reply_that_breaks_off_is_retried(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, err = c.run(["ask", "-c", "small.txt", "What is the code?"])
    expect(code == 0 and out == "7421\n", f"exit {code}", out, err)
    expect(len([r for r in requests() if r["path"] == "/v1/chat/completions"]) == 2, "not retried", out, err)


a_reply_that_breaks_off_is_retried.script = {
    "replies": [{"match": {"call": 1}, "fault": "drop", "text": "PARTIAL 99"}], "default": {"text": "7421"}}


def wait_for(requests, path, proc):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if any(r["path"] == path for r in requests()):
            return
        if proc.poll() is not None:
            raise AssertionError("rlm ended early")
        time.sleep(0.02)
    raise AssertionError(f"no request to {path}")


def sigterm_and_sighup_end_the_run_cleanly(c, source, url, requests):
    c.write("rlm.toml", config(url, sub="sub-m"))
    for sig, exit_code, says in ((signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGHUP, 129, "hung up (SIGHUP)")):
        before = len([r for r in requests() if r["path"] == "/api/chat"])
        proc = c.start(["ask", "--no-bypass", "-c", "doc.txt", "--trajectory", "run.jsonl", "q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + TIMEOUT
        while len([r for r in requests() if r["path"] == "/api/chat"]) == before and time.monotonic() < deadline:
            time.sleep(0.02)  # the sub-call is waiting on a stalled server
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=TIMEOUT)
        out, err = out.decode(), err.decode()
        one_error(proc.returncode, out, err, exit_code, says)
        expect(not os.path.exists(os.path.join(c.tmp, "run.jsonl.partial")), "the trajectory was left half-written", out, err)
        last = json.loads(open(os.path.join(c.tmp, "run.jsonl")).read().splitlines()[-1])
        expect(last.get("stop_reason") == "cancelled", f"the trajectory's last line: {last}", out, err)
    # `rlm lua` in a cell that never ends: SIGTERM stops the cell, exit 143.
    proc = c.start(["lua", "--timeout", "60", "-e", "while true do end"], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    deadline = time.monotonic() + TIMEOUT  # the worker starts after the handlers are in place
    while not os.path.exists(f"/proc/{proc.pid}/task/{proc.pid}/children") or \
            not open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().strip():
        expect(time.monotonic() < deadline and proc.poll() is None, "rlm lua did not start its worker")
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=TIMEOUT)
    one_error(proc.returncode, out.decode(), err.decode(), 143, "terminated (SIGTERM)")


sigterm_and_sighup_end_the_run_cleanly.script = {
    "models": [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 32768}],
    "replies": [{"match": {"model": "root-m"}, "text": "```lua\nprint(llm_query('hi'))\n```"},
                {"match": {"model": "sub-m"}, "fault": "stall", "stall_seconds": 60}]}


def pipes_and_closed_streams(c, source, url, requests):
    c.write("rlm.toml", config(url))
    # `rlm ask ... | true`: the reader is gone; exit 7 with no noise, never SIGPIPE (141).
    proc = c.start(["ask", "-c", "small.txt", "q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=TIMEOUT)
    expect(proc.returncode == 7, f"exit {proc.returncode}, expected 7", "", err)
    expect(error_lines(err) == [], "an error line for a reader that went away", "", err)
    # A closed stderr never kills a run.
    code, out, _ = c.run(["ask", "-c", "small.txt", "q"], stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: os.close(2))
    expect(code == 0 and out == "7421\n", f"exit {code} with stderr closed", out)
    # `rlm bench ... 2>&1 | head -c 1`: the run goes on and writes every result.
    reader = subprocess.Popen(["head", "-c", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = c.start(["bench", "niah", "--lengths", "1k,2k", "--positions", "0.5", "--methods", "vanilla",
                    "--out", "b.jsonl"], stdout=reader.stdin, stderr=reader.stdin)
    reader.stdin.close()
    proc.wait(timeout=TIMEOUT)
    reader.wait(timeout=TIMEOUT)
    rows = [l for l in open(os.path.join(c.tmp, "b.jsonl")) if '"task"' in l]
    expect(len(rows) == 2, f"{len(rows)} results written, expected 2 (exit {proc.returncode})")
    expect(proc.returncode == 7, f"bench exit {proc.returncode}, expected 7 (its table had no reader)")


pipes_and_closed_streams.script = {"default": {"text": "7421"}}


def progress_lines_agree(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, err = c.run(["ask", "-c", "small.txt", "q"])
    expect(code == 0 and "answered directly (bypass) in" in err and "turn" not in err, "bypass lines", out, err)
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    c.write("rlm.toml", config(dead))
    code, out, err = c.run(["ask", "-c", "small.txt", "q"])
    expect(code == 4 and "answered directly" not in err and "stopped after" in err, "a failed bypass", out, err)


progress_lines_agree.script = {"default": {"text": "7421"}}


def hostile_inputs_end_in_one_clear_line(c, source, url, requests):
    """Every past fuzz finding, met as a user meets it: a server's reply, a config file, a
    results file for `rlm bench report`. A clear line and exit 1-5, or the right answer."""
    findings = os.path.join(source, "tests/fuzz/regressions")
    for kind in ("ollama_reply", "openai_reply"):
        for name in sorted(os.listdir(os.path.join(findings, kind))):
            with open(os.path.join(findings, kind, name), "rb") as f:
                data = f.read()
            with open(os.path.join(c.tmp, "body.bin"), "wb") as f:
                f.write(data[2:])
            provider = "ollama" if kind == "ollama_reply" else "openai"
            model = "stream" if data[0] % 2 == 1 else "whole"
            c.write("rlm.toml", config(url, kind=provider, root=model,
                                       extra="[http]\nmax_retries = 0\n", root_extra="context_length = 8192"))
            code, out, err = c.run(["ask", "-c", "small.txt", "q"])
            expect(1 <= code <= 5 or (code == 0 and out == "a\n"), f"{name}: exit {code}", out, err)
            expect(code == 0 or len(error_lines(err)) == 1, f"{name}: {len(error_lines(err))} error lines", out, err)
    for name in sorted(os.listdir(os.path.join(findings, "config"))):
        code, out, err = c.run(["config", "check", os.path.join(findings, "config", name)])
        if code == 0:  # a valid file that used to reach a toml++ bug: it loads
            expect(": ok (" in out, f"{name}: exit 0 without ok", out, err)
        else:
            one_error(code, out, err, 2, name)
    for name in sorted(os.listdir(os.path.join(findings, "results_file"))):
        code, out, err = c.run(["bench", "report", os.path.join(findings, "results_file", name)])
        one_error(code, out, err, 3, "is not an rlm bench results file")


# Each finding above is written to body.bin before rlm runs; the model named picks how it goes.
hostile_inputs_end_in_one_clear_line.script = {"replies": [
    {"match": {"model": "stream"}, "raw_file": "@TMP@/body.bin", "raw_stream": True},
    {"match": {"model": "whole"}, "raw_file": "@TMP@/body.bin"}]}


CANARY = "sk-canary-0123456789abcdef0123"


def an_echoed_key_never_appears(c, source, url, requests):
    """A server (or a proxy) that echoes the Authorization header into its errors and its
    answers: the key appears in no output, no trajectory and no prompt to another host."""
    c.write("rlm.toml", config(url, extra="[http]\nmax_retries = 0\n",
                               root_extra='api_key_env = "ECHO_KEY"').replace('api_key_env = ""\n', ""))
    env = {"ECHO_KEY": CANARY}
    for model in ("status", "stream-error", "answer"):
        c.write("rlm.toml", config(url, root=model, extra="[http]\nmax_retries = 0\n",
                                   root_extra='api_key_env = "ECHO_KEY"').replace('api_key_env = ""\n', ""))
        proc = c.start(["ask", "-c", "small.txt", "--trajectory", "t.jsonl", "--json", "q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env_extra=env)
        out, err = proc.communicate(timeout=TIMEOUT)
        out, err = out.decode(), err.decode()
        trajectory = open(os.path.join(c.tmp, "t.jsonl")).read()
        expect(CANARY not in out + err + trajectory, f"{model}: the key was shown", out, err)
        expect("<redacted>" in out + err, f"{model}: the echo is not marked", out, err)
    c.write("rlm.toml", config(url, root="status", root_extra='api_key_env = "ECHO_KEY"').replace('api_key_env = ""\n', ""))
    proc = c.start(["doctor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env_extra=env)
    out, err = proc.communicate(timeout=TIMEOUT)
    expect(CANARY.encode() not in out + err, "doctor showed the key", out.decode(), err.decode())


an_echoed_key_never_appears.script = {"replies": [
    {"match": {"model": "status"}, "status": 500, "error": "invalid token: {authorization}"},
    {"match": {"model": "stream-error"}, "fault": "mid_stream_error", "error": "bad {authorization}"},
    {"match": {"model": "answer"}, "text": "your key is {authorization}"}]}


def a_failed_run_prints_no_guess_and_a_cut_answer_is_no_answer(c, source, url, requests):
    # A FINAL turned back as a guess, then the root model fails: nothing on stdout.
    c.write("rlm.toml", config(url, extra="[http]\nmax_retries = 0\n"))
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "q"])
    one_error(code, out, err, 4, "the GPU fell over")
    expect(out == "", "the turned-back guess was printed", out, err)
    # An answer cut at max_tokens: printed, but exit 5 and an error line, even with -q.
    c.write("rlm.toml", config(url, root="cut"))
    for quiet in ([], ["-q"]):
        code, out, err = c.run(quiet + ["ask", "-c", "small.txt", "q"])
        one_error(code, out, err, 5, "stopped at max_tokens", "cut short")
        expect(out == "7421 is the co\n", "the cut answer", out, err)
        expect(quiet or "answered directly (bypass) in" in err and ", cut short" in err,
               "the summary does not say the answer was cut", out, err)


a_failed_run_prints_no_guess_and_a_cut_answer_is_no_answer.script = {"replies": [
    {"match": {"model": "cut"}, "text": "7421 is the co", "finish_reason": "length"},
    {"match": {"call": 1}, "text": "FINAL(a guess)"},
    {"match": {"call": 2}, "status": 500, "error": "the GPU fell over"}]}


def a_server_that_does_not_speak_http_is_retried(c, source, url, requests):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        import threading

        def serve():  # every connection, the window probes' too, gets the same bytes
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
                conn.close()
        threading.Thread(target=serve, daemon=True).start()
        c.write("rlm.toml", config(f"http://127.0.0.1:{port}"))
        code, out, err = c.run(["ask", "-c", "small.txt", "q"])
    one_error(code, out, err, 4, "did not answer in HTTP", "gave up after 3 tries")


a_server_that_does_not_speak_http_is_retried.script = {}


DATES_TOOL = """-- iso_date(s): the first "3 May 2024" in s as "2024-05-03"; nil when none
local months = {Jan=1, Feb=2, Mar=3, Apr=4, May=5, Jun=6, Jul=7, Aug=8, Sep=9, Oct=10, Nov=11, Dec=12}
function iso_date(s)
  local d, m, y = re.match(s, [[(\\d{1,2}) ([A-Z][a-z]{2})[a-z]* (\\d{4})]])
  if not d then return nil end
  return string.format("%s-%02d-%02d", y, months[m], tonumber(d))
end
"""


def user_tools_load_and_are_listed(c, source, url, requests):
    """[sandbox] tools, relative to the config file, run from another folder; a small
    document that would go to the model directly runs the loop, since tools need the REPL."""
    os.makedirs(os.path.join(c.tmp, "lib"))
    os.makedirs(os.path.join(c.tmp, "elsewhere"))
    c.write("lib/dates.lua", DATES_TOOL)
    c.write("dates.txt", "They met on 3 May 2024.\n")
    c.write("rlm.toml", config(url) + '\n[sandbox]\ntools = ["lib/dates.lua"]\n')
    code, out, err = c.run(["ask", "-c", "../dates.txt", "When did they meet?"],
                           cwd=os.path.join(c.tmp, "elsewhere"))
    expect(code == 0 and out == "2024-05-03\n", f"exit {code}", out, err)
    chats = [r["body"] for r in requests() if r["path"] == "/v1/chat/completions"]
    expect(len(chats) == 2, f"{len(chats)} model calls, expected the loop's 2", out, err)
    system = chats[0]["messages"][0]["content"]
    expect("- dates.lua:\n    iso_date(s): the first" in system, "the prompt does not list the tool",
           system, err)
    expect(c.tmp not in system, "the prompt shows the tool's full path", system, err)
    expect("2024-05-03" in chats[1]["messages"][-1]["content"], "the tool's output is not fed back",
           out, err)


user_tools_load_and_are_listed.script = {
    "replies": [{"match": {"call": 1}, "text": "```lua\nprint(iso_date(context))\n```"}],
    "default": {"text": "```lua\nFINAL(iso_date(context))\n```"}}


def a_tool_file_that_fails_is_one_line_before_any_model_call(c, source, url, requests):
    c.write("rlm.toml", config(url))
    c.write("bad.lua", "-- broken\nfunction f()\n  return 1 +\nend\n")
    c.write("loop.lua", "while true do end\n")
    c.write("mine.lua", "function grep() return {} end\n")
    code, out, err = c.run(["ask", "--tools", "bad.lua", "-c", "doc.txt", "q"])
    one_error(code, out, err, 2, "tool file bad.lua:4: unexpected symbol near 'end'")
    code, out, err = c.run(["ask", "--tools", "nope.lua", "-c", "doc.txt", "q"])
    one_error(code, out, err, 2, "cannot read the tool file nope.lua")
    code, out, err = c.run(["ask", "--tools", "mine.lua", "-c", "doc.txt", "q"])
    one_error(code, out, err, 2, "tool file mine.lua replaces grep")
    code, out, err = c.run(["lua", "--timeout", "1", "--tools", "loop.lua", "-e", "print(1)"])
    one_error(code, out, err, 2, "tool file loop.lua did not finish loading within the cell time "
              "limit of 1 s")
    expect(not [r for r in requests() if "chat" in r["path"]], "a model was called", out, err)


a_tool_file_that_fails_is_one_line_before_any_model_call.script = {"default": {"text": "FINAL(x)"}}


def a_missing_worker_is_one_line_before_any_model_call(c, source, url, requests):
    """rlm without rlm-worker beside it (a copy of the binary alone in a folder): exit 1, one
    line naming the path it looked at and the fix, and no model called."""
    c.write("rlm.toml", config(url))
    alone = os.path.join(c.tmp, "bin")
    os.mkdir(alone)
    shutil.copy(c.rlm, alone)
    c.rlm = os.path.join(alone, os.path.basename(c.rlm))
    code, out, err = c.run(["ask", "-c", "doc.txt", "q"])
    one_error(code, out, err, 1, f"cannot start the Lua REPL: {alone}/rlm-worker: No such file",
              "RLM_WORKER_PATH")
    expect(not [r for r in requests() if "chat" in r["path"]], "a model was called", out, err)


a_missing_worker_is_one_line_before_any_model_call.script = {"default": {"text": "FINAL(x)"}}


def a_worker_that_cannot_get_ready_is_one_line_and_exit_1(c, source, url, requests):
    """The worker starts while the root is asked; one that then fails to load the document
    (it does not fit the REPL's memory) ends the run at the first cell: exit 1, one line."""
    c.write("rlm.toml", config(url, extra="[sandbox]\nmemory_limit_mb = 16\n"))
    c.write("big.txt", ("y" * 99 + "\n") * 200_000)  # 20 MB
    code, out, err = c.run(["ask", "-c", "big.txt", "q"])
    one_error(code, out, err, 1, "cannot start the Lua REPL: the documents do not fit")
    expect(out == "", "an answer was printed", out, err)


a_worker_that_cannot_get_ready_is_one_line_and_exit_1.script = {
    "default": {"text": "```lua\nprint(#context)\n```"}}


CASES = [streamed_overflow_error_line, context_length_caps_max_tokens_and_refuses_what_cannot_fit,
         silent_truncation_is_a_truncated_bench_task, a_missing_sub_model_stops_the_run,
         a_transient_sub_call_failure_is_warned_and_counted, a_reply_that_breaks_off_is_retried,
         sigterm_and_sighup_end_the_run_cleanly, pipes_and_closed_streams, progress_lines_agree,
         hostile_inputs_end_in_one_clear_line, an_echoed_key_never_appears,
         a_failed_run_prints_no_guess_and_a_cut_answer_is_no_answer,
         a_server_that_does_not_speak_http_is_retried, user_tools_load_and_are_listed,
         a_tool_file_that_fails_is_one_line_before_any_model_call,
         a_missing_worker_is_one_line_before_any_model_call,
         a_worker_that_cannot_get_ready_is_one_line_and_exit_1]


def main(cases=CASES, doc=__doc__):
    """Runs `cases` (or those named on the command line), each in a fresh folder with the
    fake provider answering its `script`; also the main of progress_e2e.py and replay_e2e.py."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rlm", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    rlm, source = os.path.abspath(args.rlm), os.path.abspath(args.source_dir)
    failed = 0
    for case in cases:
        if args.cases and case.__name__ not in args.cases:
            continue
        with tempfile.TemporaryDirectory(prefix="rlm-e2e-") as tmp:
            with fake(source, tmp, case.script) as (url, requests):
                try:
                    case(Case(tmp, rlm), source, url, requests)
                    print(f"ok   {case.__name__}")
                except (AssertionError, subprocess.TimeoutExpired) as e:
                    failed += 1
                    print(f"FAIL {case.__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
