#!/usr/bin/env python3
"""Writes the constructed captures in this folder: thinking-model replies in the shapes the
servers' own source and documentation give, since no such server can be reached where rlm is
built. They are not recordings (README.md says so); this script is how every byte was made.

    tests/captures/constructed/make_constructed.py

Sources: Ollama's api/types.go (ChatResponse, Message.Thinking, ThinkValue) and
server/routes.go (thinking parsed out of the content when think is on, which it is by default
for a model that can think; streamed as message.thinking chunks, then message.content;
non-streamed, both joined in one object); DeepSeek's thinking-mode guide (reasoning_content
beside content, in stream deltas too; usage.completion_tokens_details.reasoning_tokens);
llama.cpp's server README (--reasoning-format deepseek: message.reasoning_content); vLLM's
reasoning-outputs page (the field is `reasoning`, formerly `reasoning_content`).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = "Date: Wed, 02 Dec 2026 07:00:00 GMT"


def write(folder, name, req, hdr, body):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    base = os.path.join(HERE, folder, name)
    with open(base + ".req", "w") as f:
        f.write(json.dumps(req, separators=(",", ":")))
    with open(base + ".hdr", "wb") as f:
        f.write(("\r\n".join(hdr) + "\r\n\r\n").encode())
    with open(base + ".body", "wb") as f:
        f.write(body.encode())


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- Ollama /api/chat ------------------------------------------------------------------------
OLLAMA_STREAM = ["HTTP/1.1 200 OK", "Content-Type: application/x-ndjson", DATE, "Transfer-Encoding: chunked"]
OLLAMA_WHOLE = ["HTTP/1.1 200 OK", "Content-Type: application/json; charset=utf-8", DATE]
QUESTION = [{"role": "user", "content": "Count the lines of the document."}]


def ollama_request(model, think, stream, num_predict=8192):
    req = {"model": model, "messages": QUESTION, "stream": stream, "truncate": False,
           "options": {"num_ctx": 16384, "num_predict": num_predict, "temperature": 0}}
    if think is not None:
        req["think"] = think
    return req


def ollama_chunk(model, n, content="", thinking=None):
    message = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    return {"model": model, "created_at": f"2026-12-02T07:00:{n:02d}.000000000Z", "message": message,
            "done": False}


def ollama_done(model, reason, prompt, completion, content="", thinking=None):
    line = ollama_chunk(model, 59, content, thinking)
    line.update({"done": True, "done_reason": reason, "total_duration": 4210000000,
                 "load_duration": 21000000, "prompt_eval_count": prompt,
                 "prompt_eval_duration": 180000000, "eval_count": completion,
                 "eval_duration": 3900000000})
    return line


def ndjson(lines):
    return "".join(compact(l) + "\n" for l in lines)


def ollama():
    model = "qwen3:8b"
    thinking = ["Okay", ", the user wants the line count.", " I should not guess:",
                " print it with code first."]
    content = ["```lua\n", "print(#lines())\n", "```"]
    lines = [ollama_chunk(model, i, "", t) for i, t in enumerate(thinking)]
    lines += [ollama_chunk(model, 10 + i, c) for i, c in enumerate(content)]
    lines.append(ollama_done(model, "stop", 412, 61))
    write("ollama", "01-qwen3-thinking-stream", ollama_request(model, True, True), OLLAMA_STREAM, ndjson(lines))
    # Spent every token of num_predict thinking: no content at all, done_reason "length".
    lines = [ollama_chunk(model, i, "", t) for i, t in enumerate(thinking)]
    lines.append(ollama_done(model, "length", 412, 64))
    write("ollama", "02-qwen3-thinking-cut-at-num-predict", ollama_request(model, True, True, 64),
          OLLAMA_STREAM, ndjson(lines))
    # Not streamed: writeChatResponse joins the thinking and the content into one object.
    whole = ollama_done(model, "stop", 412, 61, "".join(content), "".join(thinking))
    write("ollama", "03-qwen3-thinking-nonstream", ollama_request(model, True, False), OLLAMA_WHOLE,
          compact(whole))
    # No think option and a server that does not parse thinking (before Ollama 0.9, or a
    # template without thinking tags): deepseek-r1 writes <think> into the content. The block
    # inside holds a guessed FINAL, the real code follows </think>.
    model = "deepseek-r1:8b"
    content = ["<think>\n", "The title may say it. Something like:\n", "```lua\n",
               "FINAL('GUESSED-IN-THINKING')\n", "```\n", "No, I should look first.\n", "</think>\n\n",
               "Let me look at the document first.\n", "```lua\n", "print(#context)\n", "```"]
    lines = [ollama_chunk(model, i, c) for i, c in enumerate(content)]
    lines.append(ollama_done(model, "stop", 398, 57))
    write("ollama", "04-deepseek-r1-think-in-content-stream", ollama_request(model, None, True),
          OLLAMA_STREAM, ndjson(lines))


# --- OpenAI-compatible: DeepSeek, llama.cpp, vLLM ---------------------------------------------
SSE = ["HTTP/1.1 200 OK", DATE, "Content-Type: text/event-stream; charset=utf-8",
       "Transfer-Encoding: chunked", "Connection: keep-alive", "Cache-Control: no-cache"]
JSON = ["HTTP/1.1 200 OK", DATE, "Content-Type: application/json", "Connection: keep-alive"]


def openai_request(model, stream, extra=None):
    req = {"model": model, "messages": QUESTION, "max_tokens": 8192, "temperature": 0, "stream": stream}
    if stream:
        req["stream_options"] = {"include_usage": True}
    req.update(extra or {})
    return req


def deepseek_usage(prompt, completion, reasoning, hit=0):
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": hit},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
            "prompt_cache_hit_tokens": hit, "prompt_cache_miss_tokens": prompt - hit}


def sse(events):
    return "".join("data: " + compact(e) + "\n\n" for e in events) + "data: [DONE]\n\n"


def deepseek_chunk(delta, finish=None, usage=None):
    event = {"id": "5f3c2b1e-0d4a-4c55-9a51-7b1e2f3a4c5d", "object": "chat.completion.chunk",
             "created": 1796194800, "model": "deepseek-v4-pro", "system_fingerprint": "fp_8802369eaa_prod0425",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    if usage is not None:
        event["usage"] = usage
    return event


def deepseek():
    reasoning = ["Okay", ", the user wants", " the number of lines.", " Count them with code."]
    content = ["```lua\n", "print(#lines())\n", "```"]
    events = [deepseek_chunk({"role": "assistant", "content": None, "reasoning_content": ""})]
    events += [deepseek_chunk({"content": None, "reasoning_content": r}) for r in reasoning]
    events += [deepseek_chunk({"content": c, "reasoning_content": None}) for c in content]
    events.append(deepseek_chunk({"content": "", "reasoning_content": None}, "stop",
                                 deepseek_usage(1280, 71, 52, 1152)))
    thinking = {"thinking": {"type": "enabled"}}
    write("deepseek", "01-thinking-stream", openai_request("deepseek-v4-pro", True, thinking), SSE, sse(events))
    # Cut at max_tokens while reasoning: no content at all.
    events = [deepseek_chunk({"role": "assistant", "content": None, "reasoning_content": ""})]
    events += [deepseek_chunk({"content": None, "reasoning_content": r}) for r in reasoning]
    events.append(deepseek_chunk({"content": None, "reasoning_content": ""}, "length",
                                 deepseek_usage(1280, 16, 16)))
    write("deepseek", "02-thinking-cut-at-max-tokens", openai_request("deepseek-v4-pro", True, dict(thinking, max_tokens=16)),
          SSE, sse(events))
    whole = {"id": "5f3c2b1e-0d4a-4c55-9a51-7b1e2f3a4c5e", "object": "chat.completion", "created": 1796194800,
             "model": "deepseek-v4-pro",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(content),
                                                  "reasoning_content": "".join(reasoning)},
                          "logprobs": None, "finish_reason": "stop"}],
             "usage": deepseek_usage(1280, 71, 52), "system_fingerprint": "fp_8802369eaa_prod0425"}
    write("deepseek", "03-thinking-nonstream", openai_request("deepseek-v4-pro", False, thinking), JSON, compact(whole))


def llama_server():
    # --reasoning-format deepseek, not streamed: message.reasoning_content.
    whole = {"choices": [{"finish_reason": "stop", "index": 0,
                          "message": {"role": "assistant", "reasoning_content": "I need the count; code will say.",
                                      "content": "```lua\nprint(#lines())\n```"}}],
             "created": 1796194800, "model": "qwen3", "system_fingerprint": "b0-unknown", "object": "chat.completion",
             "usage": {"completion_tokens": 24, "prompt_tokens": 35, "total_tokens": 59}, "id": "chatcmpl-3kW9"}
    write("llama-server", "01-reasoning-format-deepseek-nonstream",
          openai_request("qwen3", False, {"chat_template_kwargs": {"enable_thinking": True}}), JSON, compact(whole))


def vllm():
    base = {"id": "chatcmpl-9c1d", "object": "chat.completion.chunk", "created": 1796194800, "model": "Qwen/Qwen3-8B"}
    pieces = [{"role": "assistant", "content": ""}, {"reasoning": "Count"}, {"reasoning": " with code."},
              {"content": "```lua\nprint(#lines())\n```"}]
    events = [dict(base, choices=[{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}]) for d in pieces]
    events.append(dict(base, choices=[{"index": 0, "delta": {"content": ""}, "logprobs": None, "finish_reason": "stop"}]))
    events.append(dict(base, choices=[], usage={"prompt_tokens": 35, "total_tokens": 61, "completion_tokens": 26}))
    write("vllm", "01-reasoning-stream", openai_request("Qwen/Qwen3-8B", True), SSE, sse(events))


if __name__ == "__main__":
    ollama()
    deepseek()
    llama_server()
    vllm()
