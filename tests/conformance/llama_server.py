#!/usr/bin/env python3
"""rlm against a REAL llama.cpp llama-server (opt-in; CI skips it). Starts the server with
several sets of flags on 127.0.0.1 and runs the built rlm the way a user would, checking
that each run ends in an answer or in one clear line with a documented exit code.

The model is a tiny random-weight GGUF (see ../shared/tools/llama-server/ or docs/providers.md):
its text is noise, so these checks prove framing, windows, errors and exit codes, never
answer quality.

    RLM_LLAMA_SERVER=/path/to/llama-server RLM_LLAMA_MODEL=/path/to/tiny.gguf \\
    [RLM_LLAMA_EOS_MODEL=/path/to/tiny-eos.gguf] tests/conformance/llama_server.py --rlm build/release/rlm

Exit 0 when every check passes, 1 when one fails, 77 (skipped) without RLM_LLAMA_SERVER.
"""
import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def llama_server(*flags, model=None, alias="tiny"):
    port = free_port()
    args = [os.environ["RLM_LLAMA_SERVER"], "--host", "127.0.0.1", "--port", str(port),
            "-m", model or os.environ["RLM_LLAMA_MODEL"], "-t", "2", *flags]
    if alias:
        args += ["--alias", alias]
    log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama-server exited at start; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not become healthy; see {log.name}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


class Rlm:
    def __init__(self, binary, tmp):
        self.binary, self.tmp = binary, tmp

    def config(self, url, extra="", model="tiny"):
        path = os.path.join(self.tmp, "rlm.toml")
        with open(path, "w") as f:
            f.write(f'[[providers]]\nprovider_type = "openai"\nbase_url = "{url}/v1"\n'
                    f'model = "{model}"\nrole = "root"\n{extra}\n')
        return path

    def run(self, args, env=None, timeout=300):
        environment = {"PATH": os.environ["PATH"], "HOME": self.tmp, "LANG": "C.UTF-8"}
        environment.update(env or {})
        proc = subprocess.run([self.binary, "--config", os.path.join(self.tmp, "rlm.toml")] + args,
                              cwd=self.tmp, env=environment, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    def file(self, name, text):
        with open(os.path.join(self.tmp, name), "w") as f:
            f.write(text)
        return name


def expect(condition, what, code=None, out="", err=""):
    if not condition:
        raise AssertionError(f"{what} (exit {code})\n--- stdout ---\n{out[-2000:]}--- stderr ---\n{err[-3000:]}")


def errors(err):
    return [l for l in err.splitlines() if l.startswith("rlm: error:")]


@check
def a_small_window_is_known_before_sending(rlm):
    """-c 512 --no-context-shift: doctor says 512; a prompt that cannot fit is refused before it
    is sent; max_tokens 4096 is clamped, so the reply never hits 'context shift is disabled'."""
    with llama_server("-c", "512", "-np", "1", "--no-context-shift", "-n", "-1") as (url, _):
        rlm.config(url, "max_tokens = 4096")
        code, out, err = rlm.run(["doctor"])
        expect(code == 0 and " 512 " in out, "doctor shows the 512-token window", code, out, err)
        rlm.file("big.txt", "word " * 1500)
        code, out, err = rlm.run(["ask", "--bypass-threshold", "100000", "-c", "big.txt", "Summarise"])
        expect(code == 4 and len(errors(err)) == 1 and "does not fit the 512-token window" in err,
               "a prompt over the window is one clear error", code, out, err)
        rlm.file("small.txt", "The code is 7421.")
        code, out, err = rlm.run(["ask", "-c", "small.txt", "What is the code?"])
        # This model never stops: it writes noise up to the clamped max_tokens, so the answer
        # is printed but cut short (exit 5), and never hits "context shift is disabled".
        expect(code == 5 and out.strip() != "" and "cut short" in err,
               "a cut answer is printed with exit 5", code, out, err)
        expect("context shift" not in err, "max_tokens was clamped to the window", code, out, err)


@check
def slots_share_the_window(rlm):
    """-c 8192 -np 4: each request gets 2,048 tokens; doctor and the refusal say so."""
    with llama_server("-c", "8192", "-np", "4", "-n", "-1") as (url, _):
        rlm.config(url, "max_tokens = 64")
        code, out, err = rlm.run(["doctor", "--json"])
        expect(code == 0 and '"context_length": 2048' in out and "shared by 4 slots" in out,
               "doctor shows the per-slot window", code, out, err)
        rlm.file("big.txt", "word " * 4000)
        code, out, err = rlm.run(["ask", "--bypass-threshold", "100000", "-c", "big.txt", "Summarise"])
        expect(code == 4 and "2,048-token window" in err, "a 4,000-word prompt is refused, never cut", code, out, err)


@check
def an_api_key_is_proved_not_assumed(rlm):
    """--api-key: /v1/models stays open, so doctor's 1-token chat decides; an unset key is unset."""
    with llama_server("-c", "2048", "-np", "1", "--api-key", "sk-conformance-test-key") as (url, _):
        rlm.config(url, "max_tokens = 8")
        code, out, err = rlm.run(["doctor"])
        expect(code == 4 and "is not set" in out and "rejected" not in out, "no key: needed, not rejected",
               code, out, err)
        code, out, err = rlm.run(["doctor"], env={"OPENAI_API_KEY": "sk-wrong-key-00000000"})
        expect(code == 4 and "rejected the API key" in out, "a wrong key is rejected", code, out, err)
        code, out, err = rlm.run(["doctor"], env={"OPENAI_API_KEY": "sk-conformance-test-key"})
        expect(code == 0, "the right key passes", code, out, err)
        rlm.file("small.txt", "x")
        code, out, err = rlm.run(["ask", "-c", "small.txt", "q"])
        expect(code == 4 and "OPENAI_API_KEY is not set" in err, "ask without the key", code, out, err)
        expect("sk-conformance-test-key" not in out + err, "the key is never printed", code, out, err)


@check
def no_alias_is_a_warning_with_the_hint(rlm):
    with llama_server("-c", "1024", "-np", "1", alias=None) as (url, _):
        rlm.config(url, "max_tokens = 8")
        code, out, err = rlm.run(["doctor"])
        expect(code == 0 and "--alias tiny" in out, "doctor warns with the --alias hint", code, out, err)


@check
def a_server_killed_mid_reply_is_retried_then_reported(rlm):
    with llama_server("-c", "8192", "-np", "1", "-n", "-1") as (url, proc):
        rlm.config(url, "max_tokens = 6000\n[http]\nmax_retries = 1")
        rlm.file("small.txt", "x")
        run = subprocess.Popen([rlm.binary, "--config", os.path.join(rlm.tmp, "rlm.toml"), "ask", "-c",
                                "small.txt", "q"], cwd=rlm.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
        time.sleep(3)
        proc.send_signal(signal.SIGKILL)
        out, err = run.communicate(timeout=120)
        out, err = out.decode(), err.decode()
        expect(run.returncode == 4 and out == "" and len(errors(err)) == 1, "one clear error, no partial answer",
               run.returncode, out, err)


@check
def the_loop_with_a_random_model_ends_in_a_clear_limit(rlm):
    """A random model writes no Lua: rlm nudges it, then stops with exit 5, never a made-up answer."""
    eos = os.environ.get("RLM_LLAMA_EOS_MODEL")
    with llama_server("-c", "4096", "-np", "1", model=eos) as (url, _):
        rlm.config(url, "max_tokens = 32\nmax_iterations = 6")
        rlm.file("doc.txt", "line of the document\n" * 400)
        code, out, err = rlm.run(["ask", "--no-bypass", "-c", "doc.txt", "q"])
        expect(code in (0, 5) and (code == 0 or len(errors(err)) == 1), "an answer or one clear line", code, out, err)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rlm", required=True)
    parser.add_argument("checks", nargs="*")
    args = parser.parse_args()
    if not os.environ.get("RLM_LLAMA_SERVER") or not os.environ.get("RLM_LLAMA_MODEL"):
        print("skipped: set RLM_LLAMA_SERVER (a llama-server binary) and RLM_LLAMA_MODEL (a GGUF) to run")
        return 77
    failed = 0
    for fn in CHECKS:
        if args.checks and fn.__name__ not in args.checks:
            continue
        with tempfile.TemporaryDirectory(prefix="rlm-conformance-") as tmp:
            started = time.monotonic()
            try:
                fn(Rlm(os.path.abspath(args.rlm), tmp))
                print(f"ok   {fn.__name__} ({time.monotonic() - started:.1f} s)")
            except (AssertionError, RuntimeError, subprocess.TimeoutExpired) as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
