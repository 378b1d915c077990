#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) from what the project
already holds: replies recorded from real servers (tests/captures/), the example configs,
a bench results file, sample worker frames. Each seed carries the mode bytes harness.hpp
describes. Run it again after adding captures or configs; the seeds are checked in.

    tests/fuzz/make_corpus.py
"""
import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, data, name=None):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def captures():
    root = os.path.join(SOURCE, "tests/captures")
    for folder, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(".body"):
                base = os.path.join(folder, f[:-5])
                with open(base + ".body", "rb") as b:
                    body = b.read()
                with open(base + ".hdr", "rb") as h:
                    header = h.read()
                stream = b"text/event-stream" in header or b"application/x-ndjson" in header
                target = "ollama_reply" if "constructed/ollama/" in base else "openai_reply"
                yield os.path.relpath(base, root).replace(os.sep, "_"), body, stream, target


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    # Replies: every captured body (the Ollama ones to its reader), streamed (in pieces of 7
    # and whole) or not, and the listings as probe answers.
    for name, body, stream, target in captures():
        if len(body) > 64 * 1024:
            continue
        mode = 1 if stream else 2
        write(target, bytes([mode, 0]) + body, name)
        if stream:
            write(target, bytes([mode, 7]) + body, name + "-pieces")
        if "props" in name or "models" in name:
            write("openai_reply", bytes([0, 0]) + body, name + "-probe")
    # Ollama's NDJSON, as its source writes it (done line fields, a mid-stream error).
    line = lambda o: json.dumps(o) + "\n"
    chunk = {"model": "m", "created_at": "2026-11-22T10:00:00Z", "message": {"role": "assistant", "content": "Hel"}, "done": False}
    done = {"model": "m", "created_at": "2026-11-22T10:00:00Z", "message": {"role": "assistant", "content": ""},
            "done": True, "done_reason": "stop", "total_duration": 1000, "load_duration": 10,
            "prompt_eval_count": 26, "prompt_eval_duration": 100, "eval_count": 3, "eval_duration": 90}
    thinking = dict(chunk, message={"role": "assistant", "content": "", "thinking": "Let me see"})
    write("ollama_reply", b"\x01\x00" + (line(chunk) + line(done)).encode(), "stream")
    write("ollama_reply", b"\x01\x05" + (line(thinking) + line(chunk) + line(done)).encode(), "thinking-pieces")
    write("ollama_reply", b"\x01\x00" + (line(chunk) + line({"error": "an error was encountered while running the model"})).encode(), "mid-stream-error")
    write("ollama_reply", b"\x02\x00" + json.dumps(dict(done, message={"role": "assistant", "content": "Hello"})).encode(), "whole")
    write("ollama_reply", b"\x00\x00" + json.dumps({"model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768}}).encode(), "show-probe")
    # Configs: the examples users start from.
    for f in sorted(os.listdir(os.path.join(SOURCE, "configs"))):
        with open(os.path.join(SOURCE, "configs", f), "rb") as c:
            write("config", c.read(), f)
    write("config", '[[providers]]\nprovider_type = "openai"\nbase_url = """http://a/v1"""\nmodel = \'m\'\n# é\nkey."a.b" = "\\"x"\n', "strings")
    # A results file as rlm bench writes it.
    record = {"type": "task", "key": "niah|4096|0.5|0|rlm", "suite": "niah", "method": "rlm", "length_tokens": 4096,
              "position": 0.5, "trial": 0, "seed": 42, "model": "m", "label": "", "document_chars": 16000,
              "query": "q", "expected": "7421", "answer": "7421", "scorer": "exact", "score": 1, "status": "ok",
              "error": "", "stop": "final", "iterations": 2, "sub_calls": 1,
              "tokens": {"root": {"calls": 2, "prompt": 900, "cached": 0, "completion": 40},
                         "sub": {"calls": 1, "prompt": 300, "cached": 0, "completion": 5}},
              "cost": None, "seconds": 1.5, "finished_at": "2026-12-01T10:00:00Z"}
    write("results_file", line(record) + line(dict(record, key="k2", method="vanilla", status="truncated", score=0)), "two-records")
    # A trajectory as rlm ask --trajectory writes it (short: a nested run, sub-calls, a cut line).
    sys.path.insert(0, os.path.join(SOURCE, "tests", "view"))
    import make_trajectory
    lines = "".join(line(x) for x in make_trajectory.make(8))
    write("trajectory_file", lines, "eight-turns")
    write("trajectory_file", lines[:-40], "cut-last-line")
    # A cassette as --record writes it: a whole reply, a stream, a failure.
    exchange = {"type": "exchange", "n": 1, "method": "POST", "url": "http://127.0.0.1:1/v1/chat/completions",
                "body": "", "seconds": 0.5, "status": 200, "headers": {"content-type": "application/json"},
                "response_body": '{"choices":[{"message":{"content":"7421"}}]}'}
    stream = dict(exchange, n=2, body="s", pieces=[[0.1, "data: a\n\n"], [0.2, "data: [DONE]\n\n"]])
    del stream["response_body"]
    broken = {"type": "exchange", "n": 3, "method": "POST", "url": exchange["url"], "body": "",
              "failure": {"kind": "dropped", "message": "the connection broke", "received_data": True},
              "pieces": [[0.1, "data: a\n\n"]]}
    write("cassette", line({"type": "cassette", "version": 1}) + line(exchange) + line(stream) + line(broken), "three-exchanges")
    # Worker frames, both ways.
    write("worker_frame", b"\x01" + json.dumps({"type": "result", "output": "hi\n", "output_dropped": 0, "seconds": 0.01,
                                                "memory_bytes": 1024, "peak_memory_bytes": 2048, "sub_calls": 0, "read_document": True,
                                                "final": "42", "error": {"kind": "runtime", "message": "boom"}}).encode(), "result")
    write("worker_frame", b"\x01" + json.dumps({"type": "query", "prompts": ["a", "b"]}).encode(), "query")
    write("worker_frame", b"\x04" + json.dumps({"type": "init", "limits": {"cell_timeout_seconds": 30, "memory_limit_bytes": 1 << 30,
                                                "max_output_bytes": 65536, "max_source_bytes": 262144, "max_error_bytes": 2048},
                                                "documents_bytes": 10, "documents": [{"name": "a", "offset": 0, "bytes": 10}],
                                                "tools": [{"name": "tools/dates.lua", "source": "-- d()\nfunction d() end"}]}).encode(), "init")
    write("worker_frame", b"\x01" + json.dumps({"type": "failed", "message": "tool file x.lua:3: boom", "tool_file": True}).encode(), "failed-tool")
    write("worker_frame", b"\x04" + json.dumps({"type": "answers", "answers": [{"text": "x"}, {"error": "e"}], "model_seconds": 0.5}).encode(), "answers")
    # Documents: text with multi-byte characters, fed in pieces of 1, 3 and whole.
    text = "héllo wörld ✓ 𝄞\nline two\r\n".encode()
    for piece in (0, 1, 3):
        write("documents", bytes([piece]) + text, f"utf8-{piece}")
    write("documents", b"\x02" + b"bad \xc3\x28 byte", "invalid")


if __name__ == "__main__":
    main()
