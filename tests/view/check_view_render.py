#!/usr/bin/env python3
"""`rlm view` end to end: trajectories written by the built binary against the fake provider
(and a synthetic 2,000-turn one) made into pages and rendered in headless Chromium.

    check_view_render.py --rlm build/ci/rlm --source-dir . [--max-render-ms 2000]

Checks, in order:
  - the command's errors: a missing file, a file that is not a trajectory, another
    trajectory_version (exit 3, one line each); -o naming the input (exit 2);
  - a real run (hostile texts in its code, output and answer, a failed cell, a failed
    sub-call, a nested run) opens with everything expanded (`#expand`): the code, the output
    and the answer are in the DOM as text, no script of theirs ran, no element of theirs exists;
  - a run cut short (no result line, a half-written last line) shows its banner;
  - 2,000 turns render within --max-render-ms (the page's own document.body.dataset.renderMs,
    the best of three loads), and the screenshot is not blank.
Exit codes: 0 ok; 1 a check failed; 77 skipped (no Chromium) after the command's checks.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake_provider"))
import check_chart_render as chart  # noqa: E402  (Chromium and PNG helpers)
import make_trajectory  # noqa: E402
import running  # noqa: E402  (the fake provider as a server)

TIMEOUT = 120
# The banners as drawn (the script's own text holds the words too, so match the element).
UNFINISHED = '<p class="banner bad">The run did not finish'
PARTIAL = '<p class="banner">The last line of the file was incomplete'
XSS = make_trajectory.XSS
MODELS = [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 32768}]
CONFIG = '''max_iterations = 6
bypass_threshold = 10

[[providers]]
provider_type = "ollama"
base_url = "{url}"
model = "root-m"
role = "root"

[[providers]]
provider_type = "openai"
base_url = "{url}/v1"
model = "sub-m"
role = "sub"
api_key_env = ""
'''


def check(condition, message):
    if not condition:
        raise chart.CheckFailed(message)


def lua(code):
    return "```lua\n" + code + "\n```"


# Turn 1: hostile output, a sub-call large enough to run as a nested RLM, and a failing cell.
# Turn 2: a failed sub-call (the sub model answers 500), then a hostile answer. (In this
# order: the failures open sub-m's circuit breaker, which would fail the nested run.)
def script():
    js_string = XSS.replace('"', '\\"')
    return {"models": MODELS, "replies": [
        {"match": {"model": "root-m", "contains": "Question:"},
         "text": lua(f'print("{js_string}")\nanswer = llm_query("Find the code in this text:\\n" .. context)\n'
                     'print(answer)') + "\n" + lua('local t = nil\nprint(t.field)')},
        {"match": {"model": "sub-m", "contains": "Question: Carry out the request"},
         "text": lua('FINAL(re.match(context, [[code is (\\d+)]]))')},
        {"match": {"model": "root-m", "contains": "turn 1 of"},
         "text": lua('local a = llm_query("FAIL-IT")') + "\n" + lua(f'FINAL("code " .. answer .. " {js_string}")')},
        {"match": {"model": "sub-m", "contains": "FAIL-IT"}, "status": 500, "error": "boom"},
    ], "default": {"text": "unexpected"}}


def run(cmd, cwd, **kw):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cwd, "LANG": "C.UTF-8"}
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, **kw)


def check_errors(rlm, tmp):
    def expect(args, code, stderr_part):
        done = run([rlm, "view"] + args, tmp)
        check(done.returncode == code, f"rlm view {args}: exit {done.returncode}, want {code}: {done.stderr}")
        check(stderr_part in done.stderr, f"rlm view {args}: stderr {done.stderr!r} lacks {stderr_part!r}")
        check(done.stderr.count("\n") == 1, f"rlm view {args}: want one line, got {done.stderr!r}")
    expect(["missing.jsonl"], 3, "rlm: error: no trajectory file missing.jsonl")
    with open(os.path.join(tmp, "notes.txt"), "w") as f:
        f.write("just some notes\n")
    expect(["notes.txt"], 3, "notes.txt is not an rlm trajectory")
    with open(os.path.join(tmp, "old.jsonl"), "w") as f:
        f.write('{"type":"run","query":"Q"}\n')
    expect(["old.jsonl"], 3, "old.jsonl is trajectory_version 1; this rlm view reads version 2")
    with open(os.path.join(tmp, "same.jsonl"), "w") as f:
        f.write('{"type":"run","trajectory_version":2,"query":"Q"}\n{"type":"result"}\n')
    expect(["same.jsonl", "-o", "same.jsonl"], 2, "the page would replace the trajectory")
    check(open(os.path.join(tmp, "same.jsonl")).read().startswith('{"type":"run"'), "the input was touched")


def dump_dom(chromium, url, profile):
    command = [chromium, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={profile}",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--proxy-server=127.0.0.1:9",
               "--proxy-bypass-list=<-loopback>", "--dump-dom", url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        out, _ = process.communicate(timeout=chart.CHROMIUM_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise chart.CheckFailed("chromium --dump-dom did not finish")
    dom = out.decode(errors="replace")
    check("data-render-ms=" in dom, "the page did not finish drawing (no data-render-ms): " + dom[-300:])
    return dom


def page_url(path, expand=False):
    return "file://" + os.path.abspath(path) + ("#expand" if expand else "")


def text_in_dom(dom, text):
    """Whether `text` shows in the page as text (the DOM serialises <, > and & as entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in dom


def check_inert(dom):
    html_tag = re.search(r"<html[^>]*>", dom).group(0)
    check("pwned" not in html_tag, f"a script from the trajectory ran: {html_tag}")
    check(dom.count("<script") == 2, f"the DOM holds {dom.count('<script')} script elements, not the page's 2")
    check("<img" not in dom, "an <img> element from the trajectory exists")
    check(text_in_dom(dom, XSS), "the hostile text is not shown as text")


def check_real_run(rlm, source, tmp, chromium, profile):
    with running.fake_provider(source, tmp, script(), max_seconds=300) as url:
        with open(os.path.join(tmp, "rlm.toml"), "w") as f:
            f.write(CONFIG.format(url=url))
        doc = "".join(f"2026-11-03 service=api request={i} status=200 ok\n" for i in range(60))
        doc = doc.replace("request=37 status=200 ok", "request=37 status=500 the code is 7421")
        with open(os.path.join(tmp, "doc.txt"), "w") as f:
            f.write(doc)
        done = run([rlm, "--config", "rlm.toml", "ask", "-c", "doc.txt", "--max-depth", "2",
                    "--trajectory", "run.jsonl", "What is the code?"], tmp)
        check(done.returncode == 0, f"rlm ask failed ({done.returncode}): {done.stderr}")
    lines = [json.loads(line) for line in open(os.path.join(tmp, "run.jsonl"))]
    check(any(line.get("parent_run") == 0 for line in lines), "the run has no nested run")
    done = run([rlm, "view", "run.jsonl"], tmp)
    check(done.returncode == 0, f"rlm view failed: {done.stderr}")
    check(os.path.exists(os.path.join(tmp, "run.html")), "rlm view did not write run.html beside run.jsonl")
    dom = dump_dom(chromium, page_url(os.path.join(tmp, "run.html"), expand=True), profile)
    check_inert(dom)
    for text in ['local a = llm_query("FAIL-IT")', "print(t.field)", "attempt to index a nil value",
                 "FAIL-IT", "code 7421 ", 'FINAL(re.match(context, [[code is (\\d+)]]))',
                 "Nested run 1", "failed"]:
        check(text_in_dom(dom, text), f"the page does not show {text!r}")
    check(UNFINISHED not in dom, "a finished run is shown as unfinished")

    # The same run cut by a crash: no result line, half a line at the end.
    text = open(os.path.join(tmp, "run.jsonl")).read().splitlines(keepends=True)
    with open(os.path.join(tmp, "cut.jsonl.partial"), "w") as f:
        f.write("".join(text[:-1]) + text[-1][: len(text[-1]) // 2])
    done = run([rlm, "view", "cut.jsonl.partial", "-o", "-"], tmp)
    check(done.returncode == 0, f"rlm view of a cut run failed: {done.stderr}")
    check("the run did not finish" in done.stderr and "incomplete" in done.stderr,
          f"no warnings for a cut run: {done.stderr!r}")
    with open(os.path.join(tmp, "cut.html"), "w") as f:
        f.write(done.stdout)
    dom = dump_dom(chromium, page_url(os.path.join(tmp, "cut.html")), profile)
    check(UNFINISHED in dom and PARTIAL in dom,
          "a cut run's page has no banner")
    print("check_view_render: a real run's page shows its code, output and answer; nothing in it ran")


def not_blank(png_path):
    width, height, bpp, rows = chart.decode_png(open(png_path, "rb").read())
    background = bytes(rows[0][0:3])
    differing = sum(1 for line in rows for x in range(0, width, 4)
                    if bytes(line[x * bpp:x * bpp + 3]) != background)
    return differing / (len(rows) * (width // 4))


def check_large(rlm, tmp, chromium, profile, max_ms):
    path = os.path.join(tmp, "big.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for line in make_trajectory.make(2000):
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    started = time.monotonic()
    done = run([rlm, "view", "big.jsonl"], tmp)
    seconds = time.monotonic() - started
    check(done.returncode == 0, f"rlm view of 2,000 turns failed: {done.stderr}")
    page = os.path.join(tmp, "big.html")
    times = []
    for _ in range(3):
        dom = dump_dom(chromium, page_url(page), profile)
        check('data-turns="2000"' in dom, "the page does not list 2,000 turns")
        times.append(float(re.search(r'data-render-ms="([0-9.]+)"', dom).group(1)))
    check_inert(dom)
    png = os.path.join(tmp, "big.png")
    chart.screenshot(chromium, page, png, profile)
    ink = not_blank(png)
    print(f"check_view_render: 2,000 turns: rlm view {seconds:.2f} s, page {os.path.getsize(page):,} bytes, "
          f"render {min(times):.0f} ms (loads: {', '.join(f'{t:.0f}' for t in times)}), ink {ink:.1%}")
    check(ink > 0.02, f"the screenshot is nearly blank ({ink:.2%} of it differs from the background)")
    check(min(times) < max_ms, f"2,000 turns took {min(times):.0f} ms to render (limit {max_ms} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rlm", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--max-render-ms", type=float, default=2000)
    args = parser.parse_args()
    rlm = os.path.abspath(args.rlm)
    source = os.path.abspath(args.source_dir)
    try:
        with tempfile.TemporaryDirectory(prefix="rlm-view-") as tmp:
            check_errors(rlm, tmp)
            chromium = chart.find_chromium()
            if chromium is None:
                print("check_view_render: skipped: no chromium on PATH (apt-get install chromium)")
                return 77
            profile = os.path.join(tmp, "profile")
            check_real_run(rlm, source, tmp, chromium, profile)
            check_large(rlm, tmp, chromium, profile, args.max_render_ms)
    except (chart.CheckFailed, OSError, RuntimeError, subprocess.TimeoutExpired) as error:
        print(f"check_view_render: FAILED: {error}", file=sys.stderr)
        return 1
    print("check_view_render: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
