"""The fake provider as a running server for the test scripts: start it on a script, wait for
its port, and stop it at the end.

    with running.fake_provider(source_dir, workdir, script) as url: ...
"""
import contextlib
import json
import os
import subprocess
import sys
import time


@contextlib.contextmanager
def fake_provider(source, workdir, script, max_seconds=600):
    """Yields the base URL (http://127.0.0.1:PORT) of a fake provider answering from `script`."""
    script_path = os.path.join(workdir, "script.json")
    with open(script_path, "w") as f:
        json.dump(script, f)
    port_path = os.path.join(workdir, "port")
    if os.path.exists(port_path):
        os.remove(port_path)  # a stale one would name a server that is gone
    proc = subprocess.Popen([sys.executable, os.path.join(source, "tests/fake_provider/fake_provider.py"),
                             "--script", script_path, "--port-file", port_path,
                             "--log", os.path.join(workdir, "requests.jsonl"), "--max-seconds", str(max_seconds)])
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(port_path) or not open(port_path).read().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.02)
        yield "http://127.0.0.1:" + open(port_path).read().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
