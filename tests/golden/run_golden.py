#!/usr/bin/env python3
"""Golden CLI tests: run the built rlm binary and compare stdout, stderr and exit code.

Each case file holds [[case]] tables:
  name      what the case shows
  args      arguments after `rlm`
  env       extra environment variables (the base environment is minimal and hermetic:
            PATH, LANG, and HOME pointing into the case's own temporary directory)
  files     {relative path = content} written into the case's temporary directory first
  hex_files {relative path = hex bytes}, for content that is not UTF-8 text
  cwd       working directory (default: the temporary directory)
  stdin     text fed to standard input (default: none, stdin is /dev/null)
  stdout_file / stderr_file   send that stream to this file (e.g. /dev/full) instead
  exit      expected exit code
  stdout / stderr                      exact expected text
  stdout_contains / stderr_contains    lists of substrings that must appear
  output_excludes                      substrings that must appear in neither stream
  max_seconds                          the command must finish within this wall time
  fake_provider  a fake provider script (tests/fake_provider/fake_provider.py) to start first,
                 on 127.0.0.1; {} for its default answers
  fake_requests  {path = count}: how many requests the fake provider must have received
  fake_requests_contain  substrings that some request body sent to the fake provider must hold
  check_files    {relative path = [substrings]}: files the command must have written
  absent_files   relative paths that must not exist afterwards
In every string, @SOURCE@ is the source tree, @TMP@ the case's temporary directory,
@FAKE_URL@ the fake provider's base URL and @DEAD_URL@ a URL where nothing listens.
"""
import argparse
import contextlib
import difflib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib

TIMEOUT_SECONDS = 60


def substitute(value, names):
    if isinstance(value, str):
        for name, replacement in names.items():
            value = value.replace(name, replacement)
        return value
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    return value


def unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fake_provider(script, source, tmp):
    """Starts the fake provider for one case; yields its URL and a reader of its request log."""
    if script is None:
        yield None, None
        return
    script_path = os.path.join(tmp, "fake-script.json")
    port_path = os.path.join(tmp, "fake-port")
    log_path = os.path.join(tmp, "fake-requests.jsonl")
    with open(script_path, "w") as f:
        json.dump(script or {"default": {"text": "fake answer"}}, f)
    proc = subprocess.Popen([sys.executable, os.path.join(source, "tests/fake_provider/fake_provider.py"),
                             "--script", script_path, "--port-file", port_path, "--log", log_path,
                             "--max-seconds", str(TIMEOUT_SECONDS + 30)])
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(port_path):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.01)
        with open(port_path) as f:
            port = f.read().strip()

        def requests():
            with open(log_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        yield f"http://127.0.0.1:{port}", requests
    finally:
        proc.kill()
        proc.wait()


def run_case(case, rlm, source):
    with tempfile.TemporaryDirectory(prefix="rlm-golden-") as tmp:
        with fake_provider(case.get("fake_provider"), source, tmp) as (url, requests):
            names = {"@SOURCE@": source, "@TMP@": tmp, "@DEAD_URL@": f"http://127.0.0.1:{unused_port()}"}
            if url:
                names["@FAKE_URL@"] = url
            failures = check_case(substitute(case, names), rlm, tmp)
            bodies = [json.dumps(r.get("body")) for r in requests()] if requests else []
            for needle in case.get("fake_requests_contain", []):
                if not any(json.dumps(needle)[1:-1] in b for b in bodies):
                    failures.append(f"no request to the fake provider contained {needle!r}")
            for path, count in case.get("fake_requests", {}).items():
                got = sum(1 for r in requests() if r["path"] == path)
                if got != count:
                    failures.append(f"the fake provider got {got} requests to {path}, expected {count}")
            return failures


def check_case(case, rlm, tmp):
    failures = []
    for rel, content in case.get("files", {}).items():
        path = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode("utf-8"))
    for rel, hex_bytes in case.get("hex_files", {}).items():
        with open(os.path.join(tmp, rel), "wb") as f:
            f.write(bytes.fromhex(hex_bytes))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "HOME": os.path.join(tmp, "home")}
    env.update(case.get("env", {}))
    stdin = case.get("stdin")
    streams = {}
    for name in ("stdout", "stderr"):
        target = case.get(f"{name}_file")
        streams[name] = open(target, "wb") if target else subprocess.PIPE
    started = time.monotonic()
    try:
        proc = subprocess.run([rlm] + case.get("args", []), cwd=case.get("cwd", tmp), env=env,
                              input=stdin.encode() if stdin is not None else None,
                              stdin=subprocess.DEVNULL if stdin is None else None,
                              stdout=streams["stdout"], stderr=streams["stderr"],
                              timeout=TIMEOUT_SECONDS)
        elapsed = time.monotonic() - started
    except subprocess.TimeoutExpired:
        return [f"did not finish within {TIMEOUT_SECONDS} s"]
    finally:
        for stream in streams.values():
            if stream is not subprocess.PIPE:
                stream.close()
    out = (proc.stdout or b"").decode("utf-8", "replace")
    err = (proc.stderr or b"").decode("utf-8", "replace")
    if "max_seconds" in case and elapsed > case["max_seconds"]:
        failures.append(f"took {elapsed:.2f} s, more than {case['max_seconds']} s")
    if "exit" in case and proc.returncode != case["exit"]:
        failures.append(f"exit code {proc.returncode}, expected {case['exit']}")
    for stream, text in (("stdout", out), ("stderr", err)):
        if stream in case and text != case[stream]:
            diff = difflib.unified_diff(case[stream].splitlines(True), text.splitlines(True),
                                        f"expected {stream}", f"actual {stream}")
            failures.append("".join(diff))
        for needle in case.get(f"{stream}_contains", []):
            if needle not in text:
                failures.append(f"{stream} lacks {needle!r}")
    for rel, needles in case.get("check_files", {}).items():
        path = os.path.join(tmp, rel)
        if not os.path.exists(path):
            failures.append(f"{rel} was not written")
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            content = f.read()
        failures += [f"{rel} lacks {n!r}" for n in needles if n not in content]
    failures += [f"{rel} exists" for rel in case.get("absent_files", [])
                 if os.path.exists(os.path.join(tmp, rel))]
    for needle in case.get("output_excludes", []):
        if needle in out or needle in err:
            failures.append(f"output contains {needle!r}, which must never appear")
    if failures:
        failures.append(f"--- stdout ---\n{out}--- stderr ---\n{err}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rlm", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("case_files", nargs="+")
    args = parser.parse_args()
    passed = failed = 0
    for case_file in args.case_files:
        with open(case_file, "rb") as f:
            cases = tomllib.load(f).get("case", [])
        for case in cases:
            failures = run_case(case, os.path.abspath(args.rlm), os.path.abspath(args.source_dir))
            if failures:
                failed += 1
                print(f"FAIL {os.path.basename(case_file)}: {case['name']}")
                for failure in failures:
                    print("    " + failure.replace("\n", "\n    "))
            else:
                passed += 1
                print(f"ok   {os.path.basename(case_file)}: {case['name']}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
