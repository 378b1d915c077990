#!/usr/bin/env python3
"""End to end: the live status line of `rlm ask` on a terminal (stderr on a pty) ticks while
the root model or a sub-call is slow, says what is happening now, is cleared before the
summary, and Ctrl-C still stops the run at once; piped stderr keeps one line per event.

    progress_e2e.py --rlm build/ci/rlm --source-dir .
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import failures_e2e  # noqa: E402
from failures_e2e import config, expect  # noqa: E402

# Root: a slow first reply with a cell whose sub-call is slow too, then the answer.
SCRIPT = {"replies": [
    {"match": {"call": 1}, "latency_ms": 2500, "text": "```lua\nprint(#context, llm_query('count'))\n```"},
    {"match": {"call": 2}, "latency_ms": 2500, "text": "12"},
    {"match": {"call": 3}, "text": "FINAL(12)"}]}
SLOW = {"default": {"latency_ms": 30_000, "text": "FINAL(late)"}}


def run_on_pty(c, args, interrupt_after=None):
    """Runs rlm with stderr on a 200-column pty; returns exit code, stdout, the pty's bytes
    and the seconds from the interrupt (if any) to the exit."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    proc = c.start(args, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen, started, stopped_in = b"", time.monotonic(), None
    interrupted_at = None
    while True:
        if interrupt_after is not None and interrupted_at is None and \
                time.monotonic() - started > interrupt_after:
            proc.send_signal(signal.SIGINT)
            interrupted_at = time.monotonic()
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed its end
                chunk = b""
            if not chunk and proc.poll() is not None:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
        expect(time.monotonic() - started < 60, "rlm did not end", "", seen.decode(errors="replace"))
    proc.wait(timeout=10)
    if interrupted_at is not None:
        stopped_in = time.monotonic() - interrupted_at
    out = proc.stdout.read().decode()
    os.close(master)
    return proc.returncode, out, seen.decode(errors="replace"), stopped_in


def timers(screen, activity):
    """The m:ss timers drawn after `activity`, in order, without repeats."""
    found = []
    for m in re.finditer(re.escape(activity) + r" (\d+):(\d\d)", screen):
        value = int(m.group(1)) * 60 + int(m.group(2))
        if not found or found[-1] != value:
            found.append(value)
    return found


def the_line_ticks_while_the_model_and_a_sub_call_are_slow(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, screen, _ = run_on_pty(c, ["ask", "--no-bypass", "-c", "doc.txt", "How many?"])
    expect(code == 0 and out == "12\n", f"exit {code}", out, screen)
    waited = timers(screen, "waiting for the root model")
    expect(waited[:3] == [0, 1, 2], f"the root model's timer: {waited}", out, screen)
    ran = timers(screen, "running cell")
    expect(len(ran) >= 3 and ran[-1] >= 2, f"the cell's timer: {ran}", out, screen)
    expect("sub-calls 1/1 in flight" in screen, "no sub-call in flight shown", out, screen)
    summary = screen.rindex("rlm: info: done in")
    expect(screen.rfind("\x1b[2K", 0, summary) > screen.rfind("waiting for", 0, summary),
           "the live line was not cleared before the summary", out, screen)


def ctrl_c_stops_a_ticking_run_at_once(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, screen, stopped_in = run_on_pty(c, ["ask", "-c", "small.txt", "q"], interrupt_after=2.5)
    expect(code == 130, f"exit {code}", out, screen)
    expect(stopped_in is not None and stopped_in < 5, f"stopped {stopped_in} s after Ctrl-C", out, screen)
    expect(timers(screen, "waiting for the root model")[:2] == [0, 1], "the line did not tick", out, screen)
    expect("interrupted (Ctrl-C)" in screen, "no interrupted line", out, screen)


def piped_stderr_has_one_line_per_event(c, source, url, requests):
    c.write("rlm.toml", config(url))
    code, out, err = c.run(["ask", "--no-bypass", "-c", "doc.txt", "How many?"])
    expect(code == 0 and out == "12\n", f"exit {code}", out, err)
    expect("\r" not in err and "\x1b" not in err, "a live line on piped stderr", out, err)
    expect(re.search(r"^rlm: info: turn 1: 1 code block, 0 errors, 1 sub-call, ", err, re.M),
           "no line for turn 1", out, err)


the_line_ticks_while_the_model_and_a_sub_call_are_slow.script = SCRIPT
ctrl_c_stops_a_ticking_run_at_once.script = SLOW
piped_stderr_has_one_line_per_event.script = SCRIPT
CASES = [the_line_ticks_while_the_model_and_a_sub_call_are_slow, ctrl_c_stops_a_ticking_run_at_once,
         piped_stderr_has_one_line_per_event]

if __name__ == "__main__":
    sys.exit(failures_e2e.main(CASES, __doc__))
