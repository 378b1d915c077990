#!/usr/bin/env python3
"""Writes a synthetic trajectory (version 2, as src/loop/report.cpp writes it) of any length,
for `rlm view`'s render check and benchmark: every turn a cell with code and output, every
tenth a failed cell, every seventh two sub-calls (one failed, one with a cut prompt), one
nested run, a compaction every 50 turns, and request lines that grow as the loop's do.

    make_trajectory.py OUT.jsonl [--turns 2000] [--unfinished]
"""
import argparse
import json

XSS = '</script><script>document.documentElement.dataset.pwned="1"</script><img src=x onerror="document.documentElement.dataset.pwned=2">'


def usage(prompt, completion):
    return {"prompt_tokens": prompt, "cached_tokens": prompt // 2, "completion_tokens": completion,
            "reasoning_tokens": 0}


def sub_call(id, failed=False, cut=False, nested=False):
    prompt = f"Summarise part {id} of the log:\n" + "2026-11-03 service=api status=200 ok\n" * 20
    call = {"id": id, "prompt_chars": len(prompt) + (5000 if cut else 0),
            "answer_chars": 0 if failed else 28, "prompt": prompt,
            "answer": "" if failed else f"part {id}: nothing unusual", "provider": "sub",
            "usage": usage(0 if failed else 900, 0 if failed else 12), "cost": None if failed else 0.0001,
            "attempts": 0 if failed or nested else 1, "seconds": 0.4, "nested": nested}
    if cut:
        call["prompt_cut"] = 5000
    if failed:
        call["error"] = "the sub model failed: HTTP 500 from http://127.0.0.1/v1/chat/completions"
        call["error_kind"] = "server_error"
    return call


def turn(run, number, depth, sub_id):
    code = f'local hits = grep("ERROR") -- turn {number}\nprint(#hits, hits[1] and hits[1].line)'
    failed = number % 10 == 0
    cell = {"code": code, "output": f"{number * 3}\t{number * 17}\n", "seconds": 0.003,
            "error": "runtime" if failed else None,
            "error_message": f"[string \"cell\"]:2: attempt to index a nil value (turn {number})" if failed else None,
            "final": False}
    subs = []
    if number % 7 == 0:
        subs = [sub_call(sub_id, failed=True), sub_call(sub_id + 1, cut=True)]
    line = {"type": "iteration", "run": run, "number": number, "depth": depth,
            "reply": "Looking at the errors next.\n```lua\n" + code + "\n```", "provider": "root",
            "usage": usage(4000 + 40 * number, 120), "cost": 0.0012, "attempts": 2 if number % 13 == 0 else 1,
            "model_seconds": 0.8, "prompt_truncated": False, "cells": [cell], "sub_calls": subs,
            "notes": [], "feedback": f"Output of turn {number}:\n{cell['output']}", "seconds": 0.85}
    if number % 50 == 0:
        line["compactions"] = [{"reason": "near_window", "limit_chars": 90000, "chars_before": 95000,
                                "chars_after": 60000, "turns_compacted": 12, "turns_dropped": 0, "fits": True}]
    return line


def request(run, depth, number, keep, messages, count):
    return {"type": "request", "run": run, "depth": depth, "iteration": number, "keep": keep,
            "messages": messages, "count": count}


def make(turns, unfinished=False, hostile=True):
    """The lines of a trajectory with `turns` root turns."""
    lines = [{"type": "run", "trajectory_version": 2, "rlm_version": "0.1.0",
              "query": "Which service failed first, and why?" + (" " + XSS if hostile else ""),
              "documents": [{"name": "big.log", "bytes": 52_000_000, "chars": 52_000_000, "lines": 800_000}],
              "providers": [{"name": "root", "type": "ollama", "role": "root", "model": "qwen2.5:14b",
                             "base_url": "http://127.0.0.1:11434"},
                            {"name": "sub", "type": "openai", "role": "sub", "model": "qwen2.5:7b",
                             "base_url": "http://127.0.0.1:8080/v1"}],
              "settings": {"max_iterations": turns, "trajectory_max_text": 65536}},
             {"type": "start", "run": 0, "mode": "rlm", "depth": 0,
              "system_prompt": "You are a Recursive Language Model...", "first_message": "Question: ..."}]
    system = {"role": "system", "content": "You are a Recursive Language Model. " * 30}
    first = {"role": "user", "content": "Question: Which service failed first, and why?\nThe context is 52 MB."}
    count = 2
    sub_id = 1
    for number in range(1, turns + 1):
        if number == 1:
            lines.append(request(0, 0, 1, 0, [system, first], 2))
        else:
            lines.append(request(0, 0, number, count, [
                {"role": "assistant", "content": f"```lua\nprint({number - 1})\n```"},
                {"role": "user", "content": f"Output of turn {number - 1}: ..."}], count + 2))
            count += 2
        line = turn(0, number, 0, sub_id)
        if number == 1 and hostile:
            line["cells"][0]["code"] = f'print("{XSS}")'
            line["cells"][0]["output"] = XSS + "\n"
        sub_id += len(line["sub_calls"])
        if number == 3:  # a sub-call that ran as an RLM of its own
            nested = sub_call(sub_id, nested=True)
            line["sub_calls"].append(nested)
            lines.append({"type": "start", "run": 1, "mode": "rlm", "depth": 1, "system_prompt": "...",
                          "first_message": "...", "parent_run": 0, "parent_iteration": 3,
                          "parent_sub_call": sub_id})
            lines.append(request(1, 1, 1, 0, [system, {"role": "user", "content": nested["prompt"]}], 2))
            inner = turn(1, 1, 1, 0)
            inner["cells"][0]["code"] = 'FINAL("nested: the api service")'
            inner["cells"][0]["final"] = True
            lines.append(inner)
            sub_id += 1
        lines.append(line)
    if not unfinished:
        lines.append({"type": "result", "answer": "The api service failed first: its database pool ran dry." +
                      (" " + XSS if hostile else ""), "mode": "rlm", "stop_reason": "final", "message": "",
                      "iterations": turns, "sub_calls": sub_id - 1, "sub_calls_failed": turns // 7,
                      "sub_call_errors": {}, "answer_cut_short": False, "budgets": {}, "seconds": 0.85 * turns,
                      "usage": {"total": {"calls": turns, "failures": 0, "prompt_tokens": 4000 * turns,
                                          "cached_tokens": 2000 * turns, "completion_tokens": 120 * turns,
                                          "reasoning_tokens": 0, "seconds": 0.8 * turns,
                                          "cost": 0.0012 * turns, "cost_partial": False}},
                      "providers": []})
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--unfinished", action="store_true", help="no result line")
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as f:
        for line in make(args.turns, args.unfinished):
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
