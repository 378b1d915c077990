#!/usr/bin/env python3
"""Writes tests/golden/ask.toml: `rlm ask` end to end against the fake provider.

The cases share one provider config and one document, so generating them keeps each case
short and the file consistent. Edit this file, run it, and commit both.
SCRIPTED: the root model's replies are written here; the cases prove the loop's machinery,
not any model's accuracy.
"""
import json
import os

CONFIG = '''max_iterations = 6
bypass_threshold = 10

[[providers]]
provider_type = "ollama"
base_url = "@FAKE_URL@"
model = "root-m"
role = "root"

[[providers]]
provider_type = "openai"
base_url = "@FAKE_URL@/v1"
model = "sub-m"
role = "sub"
api_key_env = ""
'''
DOC = "".join(f"2026-11-{i % 28 + 1:02d} service=api request={i} status=200 ok\n" for i in range(60))
DOC = DOC.replace("request=37 status=200 ok", "request=37 status=500 NEEDLE the code is 7421")
DOC_CHARS = f"{len(DOC):,}"
MODELS = [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 32768}]


def lua(code, prose=""):
    return (prose + "\n" if prose else "") + "```lua\n" + code + "\n```"


def root(contains, text, times=None):
    rule = {"match": {"model": "root-m", "contains": contains}, "text": text}
    if times:
        rule["times"] = times
    return rule


def script(*rules, default="FINAL(fallback)", sub="sub answer"):
    return {"models": MODELS, "replies": list(rules) + [{"match": {"model": "sub-m"}, "text": sub}],
            "default": {"text": default}}


cases = []


def case(name, fake, args, exit=0, stdout=None, files=None, **extra):
    c = {"name": name, "fake_provider": fake, "args": args, "exit": exit}
    config = CONFIG if fake is not None else CONFIG.replace("@FAKE_URL@", "@DEAD_URL@")
    c["files"] = {"rlm.toml": config, "doc.txt": DOC, **(files or {})}
    if stdout is not None:
        c["stdout"] = stdout
    c.update(extra)
    cases.append(c)


FIND = lua('for _, h in ipairs(grep("NEEDLE", 0, 5)) do print(h.line, h.text) end\n'
           'found = grep("NEEDLE")[1].text')
ANSWER = lua('FINAL(re.match(found, [[code is (\\d+)]]))')

case("needle: a regex search, then FINAL from the code",
     script(root("Question:", FIND), root("turn 1 of", ANSWER)),
     ["ask", "--context", "doc.txt", "What is the code?"], stdout="7421\n",
     fake_requests={"/api/chat": 2},
     fake_requests_contain=[f"The document is in the Lua variable `context`: {DOC_CHARS} characters, 60 lines",
                            "Question: What is the code?",
                            "38\t2026-11-10 service=api request=37 status=500 NEEDLE the code is 7421"])

case("the document can come from a pipe",
     script(root("Question:", FIND), root("turn 1 of", ANSWER)),
     ["ask", "What is the code?"], stdin=DOC, stdout="7421\n")

case("- names stdin explicitly, beside a file",
     script(root("Question:", lua('print(#documents, documents[1].name, documents[2].name)')),
            root("turn 1 of", lua('FINAL(documents[2].chars)'))),
     ["ask", "--context", "doc.txt", "--context", "-", "How long is the second?"], stdin="twelve chars",
     stdout="12\n", fake_requests_contain=["It joins 2 files", "1. doc.txt", "2. stdin: 12 characters",
                                           "2\tdoc.txt\tstdin"])

case("several files: the briefing lists each with its size",
     script(root("Question:", lua('print(#documents)')),
            root("turn 1 of", lua('FINAL(documents[1].name .. "+" .. documents[2].name)'))),
     ["ask", "-c", "a.txt", "-c", "b.txt", "Which files?"],
     files={"a.txt": "alpha " * 10, "b.txt": "beta " * 10},
     stdout="a.txt+b.txt\n",
     fake_requests_contain=["It joins 2 files", "1. a.txt: 60 characters, 1 lines", "2. b.txt: 50 characters"])

case("map-reduce: chunks through llm_query_batched, then FINAL",
     script(root("Question:", lua('parts = chunk(context, 1000)\nlocal prompts = {}\n'
                                  'for i, p in ipairs(parts) do prompts[i] = "Count errors in:\\n" .. p end\n'
                                  'answers = llm_query_batched(prompts)\nprint(#parts, answers[1])')),
            root("turn 1 of", lua('FINAL(#answers .. " answers: " .. table.concat(answers, ","))')), sub="1"),
     ["ask", "-c", "doc.txt", "How many errors?"], stdout="3 answers: 1,1,1\n",
     fake_requests={"/api/chat": 2, "/v1/chat/completions": 3},
     fake_requests_contain=["sub-calls left: 47 of 50", "Count errors in:\n2026-11-01 service=api request=0"])

case("FINAL_VAR in code returns a variable",
     script(root("Question:", lua('result = {}\nfor _, h in ipairs(grep("status=500")) do result[#result + 1] = h.line end')),
            root("turn 1 of", lua('FINAL_VAR("result")'))),
     ["ask", "-c", "doc.txt", "Which lines failed?"], stdout="38\n")

case("FINAL_VAR written as text outside code reads the variable",
     script(root("Question:", lua('n = re.count(context, "status=200")\nprint(n)')),
            root("turn 1 of", "The count is ready.\nFINAL_VAR(n)")),
     ["ask", "-c", "doc.txt", "How many succeeded?"], stdout="59\n")

case("FINAL written as text after looking is accepted",
     script(root("Question:", lua('print(line(38))')), root("turn 1 of", "The code is 7421.\n\nFINAL(7421)")),
     ["ask", "-c", "doc.txt", "What is the code?"], stdout="7421\n")

case("a plan that mentions FINAL in prose is not an answer",
     script(root("Question:", "I will search the log and then call FINAL(code) with the result."),
            root("no code", lua('FINAL(line(38):match("code is (%d+)"))'))),
     ["ask", "-c", "doc.txt", "What is the code?"], stdout="7421\n",
     fake_requests_contain=["Your reply had no code."])

case("small document: bypass sends it to the root model in one call",
     {"models": MODELS,
      "replies": [{"match": {"model": "root-m", "contains": "Document:\n<<<\nshort note\n>>>"},
                   "text": "It is a short note."}],
      "default": {"text": "wrong"}},
     ["ask", "-c", "small.txt", "--bypass-threshold", "4000", "What is it?"], files={"small.txt": "short note"},
     stdout="It is a short note.\n", fake_requests={"/api/chat": 1},
     fake_requests_contain=["Answer the question using only the document below."])

case("--no-bypass runs the loop even for a small document",
     script(root("Question:", lua('print(context)')), root("turn 1 of", lua('FINAL(#context)'))),
     ["ask", "-c", "small.txt", "--bypass-threshold", "4000", "--no-bypass", "How long?"],
     files={"small.txt": "short note"}, stdout="10\n")

case("--json: one object with the answer, mode, stop reason and usage per role",
     script(root("Question:", FIND), root("turn 1 of", ANSWER)),
     ["ask", "-c", "doc.txt", "--json", "What is the code?"],
     stdout_contains=['"answer": "7421"', '"mode": "rlm"', '"stop_reason": "final"', '"iterations": 2',
                      '"root": {', '"sub": {', '"calls": 2'])

case("a premature FINAL is turned back once with the reason",
     script(root("Question:", lua('FINAL("no errors")')),
            root("Not accepted yet", lua('FINAL(grep("NEEDLE")[1].line)'))),
     ["ask", "-c", "doc.txt", "Which line has the needle?"], stdout="38\n",
     fake_requests_contain=[f"Not accepted yet: you answered without examining the document ({DOC_CHARS} characters)"])

case("a Python block is not run, and the model is told to write Lua",
     script(root("Question:", "```python\nprint(len(context))\n```"), root("was not run", lua('FINAL(#context)'))),
     ["ask", "-c", "doc.txt", "How long?"], stdout=f"{len(DOC)}\n",
     fake_requests_contain=["Your ```python block was not run: only ```lua blocks run, in a Lua 5.4 REPL."])

case("Python in an unlabelled block: the syntax error comes back with a hint",
     script(root("Question:", "```\nimport re\nprint(len(context))\n```"),
            root("looks like Python", lua('FINAL(#context // 1)'))),
     ["ask", "-c", "doc.txt", "How long?"], stdout=f"{len(DOC)}\n",
     fake_requests_contain=["hint: this looks like Python; the REPL runs Lua 5.4"])

case("the same code twice gets a nudge",
     script(root("Question:", lua('print(context_lines, #context)')),
            root("turn 1 of", lua('print(context_lines, #context)'), times=1),
            root("ran exactly this code before", lua('FINAL(context_lines)'))),
     ["ask", "-c", "doc.txt", "How many lines?"], stdout="60\n",
     fake_requests_contain=["You ran exactly this code before"])

case("too many failing turns in a row end the run: exit 5",
     script(default=lua('error("boom")')),
     ["ask", "-c", "doc.txt", "Anything?"], exit=5, stdout="",
     stderr_contains=["rlm: error: the root model failed 4 turns in a row (last: cell:1: boom); "
                      "try a stronger root model"],
     fake_requests={"/api/chat": 4})

case("max_iterations: one last call asks for the best answer; exit 0 with a warning",
     script(root("used all your turns", "Best guess: 7421"), default=lua('print(line(1))')),
     ["ask", "-c", "doc.txt", "--max-iterations", "2", "What is the code?"], stdout="Best guess: 7421\n",
     stderr_contains=["rlm: warning: max_iterations (2) reached; the answer is the model's best effort"],
     fake_requests={"/api/chat": 3})

def priced(config):
    return config.replace('role = "root"\n', 'role = "root"\nprice_input_per_mtok = 100.0\n'
                          'price_output_per_mtok = 100.0\n')


LOOK = lua('print(line(1))')


def last_call(budget, prompt_tokens=1000, completion_tokens=10):
    rule = root(f"{budget} is spent", "Best guess: 7421")
    rule.update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    return rule


case("max_tokens: the run ends with a last call for the best answer; exit 5 with a warning",
     {"models": MODELS, "replies": [last_call("token budget (max_tokens)")],
      "default": {"text": LOOK, "prompt_tokens": 1000, "completion_tokens": 10}},
     ["ask", "-c", "doc.txt", "--max-tokens", "1500", "What is the code?"], exit=5,
     stdout="Best guess: 7421\n",
     stderr_contains=["rlm: warning: max_tokens (1,500) ran out: 3,030 used; the answer is the model's best "
                      "effort from what it found (raise it with --max-tokens, or max_tokens in the config)"],
     fake_requests={"/api/chat": 3},
     fake_requests_contain=["Budget: 6 turns, 50 sub-calls, 1,500 tokens. Limits:",
                            "tokens left: 490 of 1,500]", "tokens left: 0 of 1,500]"])

case("--json names the budget that ended the run, with each budget's limit and use",
     {"models": MODELS, "replies": [last_call("token budget (max_tokens)")],
      "default": {"text": LOOK, "prompt_tokens": 1000, "completion_tokens": 10}},
     ["ask", "-c", "doc.txt", "--json", "--max-tokens", "1500", "What is the code?"], exit=5,
     stdout_contains=['"stop_reason": "max_tokens"', '"answer": "Best guess: 7421"', '"limit": 1500',
                      '"used": 3030'])

case("max_cost from the price keys ends the run the same way",
     {"models": MODELS, "replies": [last_call("cost budget (max_cost)", completion_tokens=0)],
      "default": {"text": LOOK, "prompt_tokens": 1000, "completion_tokens": 0}},
     ["ask", "-c", "doc.txt", "--max-cost", "0.15", "What is the code?"], exit=5,
     files={"rlm.toml": priced(CONFIG)}, stdout="Best guess: 7421\n",
     stderr_contains=["rlm: warning: max_cost (0.1500) ran out: 0.3000 used"],
     fake_requests={"/api/chat": 3}, fake_requests_contain=["cost left: 0.0500 of 0.1500]"])

case("max_cost with no priced provider is refused: exit 2",
     script(), ["ask", "-c", "doc.txt", "--max-cost", "1", "What is the code?"], exit=2, stdout="",
     stderr_contains=["rlm: error: max_cost is set, but no provider has prices to count it with"],
     fake_requests={"/api/chat": 0})

case("max_seconds cancels a root model that hangs and still asks for the best answer",
     {"models": MODELS, "replies": [
         root("time budget (max_seconds) is spent", "Best guess: 7421"),
         {"match": {"model": "root-m", "contains": "Question:"}, "text": "thinking", "fault": "stall",
          "stall_seconds": 30}],
      "default": {"text": "FINAL(fallback)"}},
     ["ask", "-c", "doc.txt", "--max-seconds", "1", "What is the code?"], exit=5,
     stdout="Best guess: 7421\n", max_seconds=8,
     stderr_contains=["rlm: warning: max_seconds (1 s) ran out:"],
     fake_requests={"/api/chat": 2})

case("max_sub_calls is enforced and the model is told how many remain",
     script(root("Question:", lua('local a = llm_query_batched({"1", "2", "3", "4", "5"})\n'
                                  'for i, x in ipairs(a) do print(i, x) end\nprint(#context)')),
            root("turn 1 of", lua('FINAL("done")'))),
     ["ask", "-c", "doc.txt", "--max-sub-calls", "3", "Go"], stdout="done\n",
     fake_requests={"/v1/chat/completions": 3},
     fake_requests_contain=["4\terror: sub-call budget exhausted: all 3 sub-calls are used",
                            "sub-calls left: 0 of 3"])

case("--trajectory writes a metadata line, one line per turn, and the result",
     script(root("Question:", FIND), root("turn 1 of", ANSWER)),
     ["ask", "-c", "doc.txt", "--trajectory", "run.jsonl", "What is the code?"], stdout="7421\n",
     check_files={"run.jsonl": ['"type":"run"', '"type":"start"', '"type":"iteration"', '"number":2',
                                '"type":"result"', '"answer":"7421"', '"code":"for _, h in ipairs(grep(']},
     absent_files=["run.jsonl.partial"])

case("nested run: with max_depth 2 a large sub-call prompt becomes an RLM of its own",
     {"models": MODELS, "replies": [
         root("Question:", lua('answer = llm_query("Find the code in this text:\\n" .. context)\nprint(answer)')),
         root("turn 1 of", lua('FINAL(answer)')),
         {"match": {"model": "sub-m", "contains": "Question: Carry out the request"},
          "text": lua('FINAL(re.match(context, [[code is (\\d+)]]))')},
     ], "default": {"text": "unexpected"}},
     ["ask", "-c", "doc.txt", "--max-depth", "2", "What is the code?"], stdout="7421\n",
     fake_requests={"/api/chat": 2, "/v1/chat/completions": 1})

case("the root provider down: one line naming the URL and how to start it, exit 4",
     None, ["ask", "-c", "doc.txt", "Q?"], exit=4, stdout="",
     stderr_contains=["rlm: error: nothing answers at http://127.0.0.1:", "start it with `ollama serve`"],
     max_seconds=20)

case("a missing document: exit 3", None, ["ask", "-c", "nope.txt", "Q?"], exit=3,
     stderr_contains=["nope.txt"], stdout="")
case("an empty query: exit 2", None, ["ask", "-c", "doc.txt", "  "], exit=2,
     stderr="rlm: error: the query is empty; ask a question: rlm ask --context FILE \"What ...?\" "
            "(or --query-file FILE)\n")
case("an empty document from stdin: exit 3", None, ["ask", "Q?"], exit=3, stdin="", stdout="")
case("--query-file reads the question",
     script(root("Question: What is the code?", lua('FINAL(line(38):match("code is (%d+)"))'))),
     ["ask", "-c", "doc.txt", "--query-file", "q.txt"], files={"q.txt": "What is the code?\n"}, stdout="7421\n")

# A thinking model that drafts a guess in a ```lua fence inside <think>: had it run, the early
# FINAL would be turned back ("Not accepted yet") and the default answer printed.
case("a thinking model: code written inside <think> never runs, the block after </think> does",
     script(root("Question:", "<think>\nMaybe the answer is obvious:\n" + lua("FINAL('GUESSED-IN-THINKING')")
                 + "\nNo, look first.\n</think>\n\n" + lua('print(grep("NEEDLE")[1].line)')),
            root("turn 1 of", lua('FINAL(grep("NEEDLE")[1].line)'))),
     ["ask", "-c", "doc.txt", "Which line has the needle?"], stdout="38\n")


# The "Python habits" model, end to end: one slip a turn, each written only after the hint for
# the last one came back (the fake matches each reply on the previous turn's exact hint line).
HINTS = [
    ("n = len(context)",
     "hint: Lua has no len(): the length of a string or table is #x (e.g. #context)"),
    ("io.write(#context)",
     "hint: there is no io library here: print(a, b) writes the output, and "
     "string.format('%d items', n) formats"),
    ("hits = {5}\nfirst = hits[0] + 1",
     "hint: Lua tables start at 1: the first element is t[1], and t[0] is nil"),
    ("local json = require('json')",
     "hint: nothing needs require: string, table, math, utf8, re and rlm's tools (grep, "
     "llm_query, ...) are already loaded"),
    ("if n == None then print('none') end",
     "hint: Lua writes nil, true and false (lowercase); None, True and False are unknown names, "
     "so they are nil"),
]
# Each reply first writes the last slip the Lua way (a cell that works, so the turns do not
# end the run as an error streak), then the next slip.
FIXED = ["n = #context", "print(#context)", "first = hits[1] + 1", "local found = {}",
         "if n == nil then print('none') end"]
habit_rules = [root("Question:", lua(HINTS[0][0]))]
habit_rules += [root(HINTS[i][1], lua(FIXED[i]) + "\n" + lua(HINTS[i + 1][0])) for i in range(len(HINTS) - 1)]
habit_rules.append(root(HINTS[-1][1], lua(FIXED[-1]) + "\n" + lua("FINAL(#context)")))
case("a Python-habits model gets a hint naming the Lua form for each slip and still reaches FINAL",
     script(*habit_rules, default=lua('error("no hint came back")')),
     ["ask", "-c", "doc.txt", "--max-iterations", "8", "How long is it?"], stdout=f"{len(DOC)}\n",
     fake_requests={"/api/chat": len(HINTS) + 1},
     fake_requests_contain=[h for _, h in HINTS])

NIL_ARG = "grep(pattern, around, max): argument 1, `pattern`, is nil"
case("a nil passed to a tool names the argument, and the model fixes it",
     script(root("Question:", lua("hits = grep(patern)")),
            root(NIL_ARG, lua('FINAL(grep("NEEDLE")[1].line)'))),
     ["ask", "-c", "doc.txt", "Which line has the needle?"], stdout="38\n",
     fake_requests={"/api/chat": 2}, fake_requests_contain=[NIL_ARG])

SMALL_SUB = [{"name": "root-m", "context_length": 32768}, {"name": "sub-m", "context_length": 2048}]
ASK_ALL = lua('answer = llm_query("Which line has the NEEDLE?\\n" .. context)\nprint(answer)')

case("a sub-call prompt over the sub model's window is refused, naming the size that fits",
     {"models": SMALL_SUB, "props_model": "sub-m", "replies": [root("Question:", ASK_ALL), root("turn 1 of", lua('FINAL("gave up")'))],
      "default": {"text": "unexpected"}},
     ["ask", "-c", "doc.txt", "Where is the needle?"], stdout="gave up\n",
     files={"doc.txt": DOC * 4}, fake_requests={"/v1/chat/completions": 0},
     fake_requests_contain=["more than the sub model's window takes (about "])

case("split_oversized_prompts: the prompt goes as parts that fit, their answers joined",
     {"models": SMALL_SUB, "props_model": "sub-m", "replies": [
         root("Question:", ASK_ALL), root("turn 1 of", lua('FINAL(answer)')),
         {"match": {"model": "sub-m", "contains": "NEEDLE the code"}, "text": "line 38"},
         {"match": {"model": "sub-m"}, "text": "none"}],
      "default": {"text": "unexpected"}},
     ["ask", "-c", "doc.txt", "Where is the needle?"],
     files={"rlm.toml": "split_oversized_prompts = true\n" + CONFIG, "doc.txt": DOC * 4},
     stdout_contains=["[part 1 of ", "[part 2 of ", "line 38"],
     fake_requests_contain=["Which line has the NEEDLE?\n\n[part 2 of "])


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def main():
    out = ["# `rlm ask` end to end against the fake provider, with scripted root replies.",
           "# SCRIPTED: these prove the loop's machinery, not any model's accuracy.",
           "# Generated by tests/golden/make_ask_cases.py; edit that, then run it.", ""]
    for c in cases:
        out.append("[[case]]")
        out += [f"{k} = {toml_value(v)}" for k, v in c.items() if v is not None]
        out.append("")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ask.toml"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
