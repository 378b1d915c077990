#!/usr/bin/env python3
"""A fake model provider for rlm's tests and demos, on 127.0.0.1 only.

Speaks Ollama's native API (/api/chat with NDJSON streaming, /api/tags, /api/show,
/api/version) and the OpenAI-compatible API (/v1/chat/completions with SSE, /v1/models),
answers from a script, injects faults, records every request, and stops by itself.

    fake_provider.py --script script.json --port-file port.txt --log requests.jsonl

The script is JSON:
    {"models": [{"name": "qwen2.5:7b", "context_length": 32768}],
     "version": "0.6.8",
     "listing_body": "...",           # /api/tags and /v1/models answer this text instead
    "serves_any_model": true,        # chat requests naming any model are answered (llama-server)
    "props_model": "name",           # the model /props describes (default: the first listed
                                     # as llama.cpp lists them; "slots": N and
                                     # "serving_context": N in a model shape its answer)
     "replies": [RULE, ...],          # first rule that matches a chat request answers it
     "default": {"text": "..."}}      # when no rule matches
A RULE has "match" (all given conditions must hold):
    {"call": N}            the Nth chat request (1-based, counted over both APIs)
    {"model": "name"}      the request's model
    {"contains": "text"}   the last user message contains text
    {"api": "ollama"|"openai"}
    {"min_prompt_chars": N} the messages' contents add up to N characters or more (with a
                           "replay" of a refusal: a server whose window the request outgrew)
and what to answer:
    "text": "...", "finish_reason": "stop"|"length", "latency_ms": N,
    "prompt_tokens": N, "completion_tokens": N, "cached_tokens": N (DeepSeek's cache hits),
    "chunks": N (stream the text in N pieces), "times": N (use the rule N times at most),
    "tail": {"text": "...", "tokens_per_second": 30} (streamed only: after the text, more
    text one word-token at a time at that rate, as a slow model adds its explanation; a
    client that hangs up during it is logged as {"event": "client_disconnect",
    "tail_tokens_sent": N, "time": T}),
    "extract": "regex" (a scripted reader: "{match}" in the text becomes the regex's first
    group, or whole match, in the last user message; with no match the answer is
    "no_match_text"; so an answer depends on what the prompt really held),
    "{authorization}" anywhere in a rule becomes the request's Authorization header (a
    server or proxy that echoes the key: rlm must never show it),
and at most one fault:
    "status": 4xx/5xx with "error": "message" (bodies as each server sends them),
    "retry_after": "2" (a Retry-After header), "fault": one of
      "queue_full"       Ollama's 503 "server busy" body
      "mid_stream_error" 200, some text, then an error line / SSE error event
      "drop"             200, some text, then the connection is closed
      "stall"            200, some text, then silence for "stall_seconds" (default 30)
      "keepalive"        SSE ": keep-alive" comments (and blank lines) before the data
      "malformed"        200 with a body that is not JSON
      "truncate"         Ollama: prompt_eval_count far below the real prompt
Replaying what real servers sent (tests/captures/, recorded from llama.cpp's llama-server):
    "replay": "llama-server-noshift/41-noshift-long-prompt-stream" in a rule answers a chat
    request with that capture's status line, headers and body, byte for byte (a chunked body
    goes out one event per chunk, as the server sent it); "routes": {"GET /props":
    "llama-server-main/02-props", ...} in the script replays a capture for any method and path;
    "raw_file": PATH (with "raw_stream": true for a chunked stream) answers with any bytes.
Every request is appended to --log as one JSON line: method, path, body, and whether an
Authorization header came (its value is never written, only a SHA-256 of it, and, when the
script has "expect_authorization", whether it matched that). With "require_authorization",
the OpenAI routes answer 401 (DeepSeek's body) to any other Authorization header; with
"open_listing" too, /v1/models stays open, as llama-server's does under --api-key.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time

MAX_REQUESTS = 100_000
CAPTURES = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures"))


def load_capture(name):
    """The status, headers and body of a recorded reply: NAME.hdr and NAME.body."""
    base = os.path.realpath(os.path.join(CAPTURES, name))
    if not base.startswith(CAPTURES + os.sep):
        raise ValueError(f"capture {name!r} is outside {CAPTURES}")
    with open(base + ".hdr", "rb") as f:
        lines = f.read().decode("latin-1").replace("\r\n", "\n").split("\n")
    if not lines[0]:
        return None  # no reply was recorded: the server died before sending one
    parts = lines[0].split(" ", 2)
    status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name_, value = line.split(":", 1)
            headers.append((name_.strip(), value.strip()))
    body = b""
    if os.path.exists(base + ".body"):
        with open(base + ".body", "rb") as f:
            body = f.read()
    # NAME.cut marks a reply the server broke off: the connection closes after the body.
    return status, reason, headers, body, os.path.exists(base + ".cut")
MAX_STALL_SECONDS = 120


class Script:
    def __init__(self, data):
        self.data = data
        self.lock = threading.Lock()
        self.calls = 0
        self.used = {}
        self.requests = 0

    def next_call(self):
        with self.lock:
            self.calls += 1
            return self.calls

    def choose(self, call, api, model, last_user, prompt_chars=0):
        with self.lock:
            for index, rule in enumerate(self.data.get("replies", [])):
                match = rule.get("match", {})
                if "call" in match and match["call"] != call:
                    continue
                if "model" in match and match["model"] != model:
                    continue
                if "contains" in match and match["contains"] not in last_user:
                    continue
                if "api" in match and match["api"] != api:
                    continue
                if "min_prompt_chars" in match and prompt_chars < match["min_prompt_chars"]:
                    continue
                if "times" in rule and self.used.get(index, 0) >= rule["times"]:
                    continue
                self.used[index] = self.used.get(index, 0) + 1
                return rule
        return self.data.get("default", {"text": "fake answer"})

    def model(self, name):
        for m in self.data.get("models", []):
            # As Ollama does, a name without a tag means ":latest".
            if m["name"] == name or (":" not in name and m["name"] == name + ":latest"):
                return m
        return None


def estimate_tokens(messages):
    return max(1, sum(len(m.get("content", "")) for m in messages) // 4)


def split_text(text, pieces):
    pieces = max(1, min(pieces, len(text) or 1))
    size = max(1, -(-len(text) // pieces))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-provider/1"
    sys_version = ""  # the Server header is just "fake-provider/1"
    # Headers and body go out as separate writes; with Nagle's algorithm on, the second
    # waits for the client's delayed ACK (40 ms). Real servers (Go, C++) set TCP_NODELAY.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # keep test output quiet
        pass

    # --- plumbing ----------------------------------------------------------------------
    def record(self, body):
        script = self.server.script
        with script.lock:
            script.requests += 1
            if script.requests > MAX_REQUESTS:
                self.server.stop_soon()
        auth = self.headers.get("Authorization")
        entry = {"method": self.command, "path": self.path, "body": body,
                 "authorization_sha256": hashlib.sha256(auth.encode()).hexdigest() if auth else None,
                 "time": time.time()}
        expected = script.data.get("expect_authorization")
        if expected is not None:
            entry["authorization_matches"] = auth == expected
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def refuse_key(self):
        """With "require_authorization" in the script, OpenAI routes answer 401 as DeepSeek
        does unless the Authorization header is exactly that value."""
        required = self.server.script.data.get("require_authorization")
        if required is None or self.headers.get("Authorization") == required:
            return False
        self.send_json(401, {"error": {"message": "Authentication Fails, Your api key is invalid",
                                       "type": "authentication_error", "param": None,
                                       "code": "invalid_request_error"}})
        return True

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return raw, json.loads(raw) if raw else {}
        except ValueError:
            return raw, None

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        if not data:
            return  # an empty chunk would end the body
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream_tail(self, rule, send_piece):
        """Streams the rule's "tail" at its tokens_per_second; False when the client hung up."""
        tail = rule.get("tail")
        if not tail:
            return True
        tokens = re.findall(r"\S+\s*|\s+", tail.get("text", ""))
        pause = 1.0 / float(tail.get("tokens_per_second", 30))
        for sent, token in enumerate(tokens):
            time.sleep(pause)
            try:
                send_piece(token)
            except (ConnectionError, BrokenPipeError):
                self.log_event({"event": "client_disconnect", "tail_tokens_sent": sent})
                return False
        return True

    def log_event(self, entry):
        entry["time"] = time.time()
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def replay(self, name):
        capture = load_capture(name)
        if capture is None:
            return self.drop()
        status, reason, headers, body, cut = capture
        chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
        self.send_response_only(status, reason)
        for key, value in headers:
            if key.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(key, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            # One event (or line) per chunk, as llama.cpp writes them.
            for piece in re.split(rb"(?<=\n\n)", body):
                if piece:
                    self.chunk(piece)
            return self.drop() if cut else self.end_stream()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def replay_route(self):
        """Replays the capture the script names for this method and path, if any."""
        name = self.server.script.data.get("routes", {}).get(f"{self.command} {self.path}")
        if name is None:
            return False
        self.replay(name)
        return True

    def stall(self, rule):
        deadline = time.time() + min(float(rule.get("stall_seconds", 30)), MAX_STALL_SECONDS)
        while time.time() < deadline and not self.server.stopping.is_set():
            time.sleep(0.05)
        self.drop()

    # --- errors as each server sends them ---------------------------------------------
    def error(self, api, status, message, rule=None):
        headers = {}
        if rule and "retry_after" in rule:
            headers["Retry-After"] = str(rule["retry_after"])
        if api == "ollama":
            self.send_json(status, {"error": message}, headers)
        else:
            kinds = {400: "invalid_request_error", 401: "authentication_error", 402: "insufficient_balance",
                     404: "not_found_error", 422: "invalid_request_error", 429: "rate_limit_error"}
            body = {"error": {"message": message, "type": kinds.get(status, "server_error"),
                              "param": None, "code": rule.get("code") if rule else None}}
            self.send_json(status, body, headers)

    # --- routes ------------------------------------------------------------------------
    def do_GET(self):
        self.record(None)
        script = self.server.script
        if self.replay_route():
            return
        if self.path == "/api/version":
            self.send_json(200, {"version": script.data.get("version", "0.6.8")})
        elif self.path in ("/api/tags", "/v1/models") and "listing_body" in script.data:
            # A listing that is not what the API promises (HTML from a proxy, wrong types).
            body = script.data["listing_body"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/api/tags":
            # Ollama lists each model's digest: the call cache keys on it.
            models = [{"name": m["name"], "model": m["name"], "size": 4_000_000_000,
                       "digest": m.get("digest", hashlib.sha256(m["name"].encode()).hexdigest()),
                       "details": {"family": "qwen2", "parameter_size": "7.6B"}}
                      for m in script.data.get("models", [])]
            self.send_json(200, {"models": models})
        elif self.path in ("/v1/models", "/models"):
            # llama-server started with --api-key leaves its listing open ("open_listing").
            if not script.data.get("open_listing") and self.refuse_key():
                return
            # As llama.cpp's server lists them (the trained context length under "meta"), or
            # as vLLM does ("max_model_len") for models with "vllm": true.
            def entry(m):
                e = {"id": m["name"], "object": "model", "owned_by": "fake"}
                if "context_length" in m:
                    if m.get("vllm"):
                        e["max_model_len"] = m["context_length"]
                    else:
                        e["meta"] = {"n_ctx_train": m["context_length"]}
                return e
            data = [entry(m) for m in script.data.get("models", [])]
            self.send_json(200, {"object": "list", "data": data})
        elif self.path == "/props" and any("context_length" in m and not m.get("vllm")
                                           for m in script.data.get("models", [])):
            # As llama.cpp's server answers: the window of one slot, the number of slots.
            listed = [m for m in script.data["models"] if "context_length" in m and not m.get("vllm")]
            m = next((m for m in listed if m["name"] == script.data.get("props_model")), listed[0])
            slots = m.get("slots", 1)
            self.send_json(200, {"default_generation_settings": {"n_ctx": m.get("serving_context", m["context_length"] // slots)},
                                 "total_slots": slots, "model_path": "models/" + m["name"] + ".gguf"})
        elif self.path in ("/", "/health"):
            self.send_json(200, {"status": "ok"})
        else:
            self.send_json(404, {"error": "404 page not found"})

    def do_POST(self):
        raw, body = self.read_body()
        self.record(body if body is not None else raw.decode("utf-8", "replace"))
        if body is None:
            return self.send_json(400, {"error": "invalid character in request body"})
        if self.path == "/__shutdown":
            self.send_json(200, {"ok": True})
            return self.server.stop_soon()
        if self.replay_route():
            return
        if self.path == "/api/show":
            model = self.server.script.model(body.get("model", body.get("name", "")))
            if model is None:
                return self.error("ollama", 404, f"model '{body.get('model')}' not found")
            arch = model.get("architecture", "qwen2")
            return self.send_json(200, {"model_info": {"general.architecture": arch,
                                                       f"{arch}.context_length": model.get("context_length", 32768)},
                                        "details": {"family": arch}})
        if self.path == "/api/chat":
            return self.chat("ollama", body)
        if self.path in ("/v1/chat/completions", "/chat/completions"):
            if self.refuse_key():
                return
            return self.chat("openai", body)
        self.send_json(404, {"error": "404 page not found"})

    def chat(self, api, body):
        script = self.server.script
        call = script.next_call()
        model = body.get("model", "")
        messages = body.get("messages", [])
        last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        prompt_chars = sum(len(m.get("content") or "") for m in messages if isinstance(m, dict))
        rule = script.choose(call, api, model, last_user, prompt_chars)
        if "{authorization}" in json.dumps(rule):  # a server that echoes the key it was sent
            auth = self.headers.get("Authorization") or ""
            rule = json.loads(json.dumps(rule).replace("{authorization}", json.dumps(auth)[1:-1]))
        time.sleep(min(rule.get("latency_ms", 0), 60_000) / 1000)
        # llama-server serves its one model whatever a request names ("serves_any_model").
        if script.data.get("models") and script.model(model) is None and not script.data.get("serves_any_model"):
            if api == "ollama":
                return self.error(api, 404, f"model '{model}' not found, try pulling it first")
            return self.error(api, 404, f"The model `{model}` does not exist")
        if "replay" in rule:
            return self.replay(rule["replay"])
        if "raw_file" in rule:  # any bytes as a 200 reply: hostile-server tests
            with open(rule["raw_file"], "rb") as f:
                data = f.read()
            if rule.get("raw_stream"):
                self.start_stream("text/event-stream" if api == "openai" else "application/x-ndjson")
                self.chunk(data)
                return self.end_stream()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        if "status" in rule:
            return self.error(api, rule["status"], rule.get("error", "fake failure"), rule)
        fault = rule.get("fault")
        if fault == "queue_full":
            return self.error("ollama", 503, "server busy, please try again.  maximum pending requests exceeded", rule)
        if fault == "malformed":
            data = b"{this is not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        text = rule.get("text", "fake answer")
        if "extract" in rule:
            found = re.search(rule["extract"], last_user)
            if found:
                text = text.replace("{match}", found.group(1) if found.groups() else found.group(0))
            else:
                text = rule.get("no_match_text", "")
        prompt_tokens = rule.get("prompt_tokens", estimate_tokens(messages))
        completion_tokens = rule.get("completion_tokens", max(1, len(text) // 4))
        if fault == "truncate":
            prompt_tokens = rule.get("prompt_tokens", 2048)
        stream = body.get("stream", api == "ollama")  # Ollama streams unless told not to
        answer = {"text": text, "finish": rule.get("finish_reason", "stop"), "prompt": prompt_tokens,
                  "completion": completion_tokens, "cached": rule.get("cached_tokens", 0)}
        if api == "ollama":
            return self.ollama_chat(body, rule, answer, stream)
        return self.openai_chat(body, rule, answer, stream)

    def ollama_chat(self, body, rule, a, stream):
        model = body.get("model", "")
        done = {"model": model, "created_at": "2026-11-22T10:00:00Z", "message": {"role": "assistant", "content": ""},
                "done": True, "done_reason": a["finish"], "total_duration": 1_000_000, "load_duration": 1000,
                "prompt_eval_count": a["prompt"], "prompt_eval_duration": 500_000, "eval_count": a["completion"],
                "eval_duration": 400_000}
        if not stream:
            done["message"]["content"] = a["text"]
            return self.send_json(200, done)
        self.start_stream("application/x-ndjson")
        pieces = split_text(a["text"], rule.get("chunks", 3))
        fault = rule.get("fault")
        for i, piece in enumerate(pieces):
            self.chunk(json.dumps({"model": model, "created_at": "2026-11-22T10:00:00Z",
                                   "message": {"role": "assistant", "content": piece}, "done": False}) + "\n")
            if i == 0 and fault == "mid_stream_error":
                self.chunk(json.dumps({"error": rule.get("error", "an error was encountered while running the model")}) + "\n")
                return self.end_stream()
            if i == 0 and fault == "drop":
                return self.drop()
            if i == 0 and fault == "stall":
                return self.stall(rule)
        if not self.stream_tail(rule, lambda piece: self.chunk(json.dumps(
                {"model": model, "created_at": "2026-11-22T10:00:00Z",
                 "message": {"role": "assistant", "content": piece}, "done": False}) + "\n")):
            return
        self.chunk(json.dumps(done) + "\n")
        self.end_stream()

    def openai_chat(self, body, rule, a, stream):
        model = body.get("model", "")
        usage = {"prompt_tokens": a["prompt"], "completion_tokens": a["completion"],
                 "total_tokens": a["prompt"] + a["completion"]}
        if a["cached"]:
            usage["prompt_cache_hit_tokens"] = a["cached"]
            usage["prompt_cache_miss_tokens"] = a["prompt"] - a["cached"]
        base = {"id": "chatcmpl-fake", "created": 1795000000, "model": model, "system_fingerprint": "fp_fake"}
        if not stream:
            reply = dict(base, object="chat.completion",
                         choices=[{"index": 0, "message": {"role": "assistant", "content": a["text"]},
                                   "finish_reason": a["finish"]}], usage=usage)
            data = json.dumps(reply).encode()
            prefix = b"\n\n" if rule.get("fault") == "keepalive" else b""  # DeepSeek pads while queued
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(prefix) + len(data)))
            self.end_headers()
            return self.wfile.write(prefix + data)
        self.start_stream("text/event-stream")
        fault = rule.get("fault")
        if fault == "keepalive":
            for _ in range(3):
                self.chunk(": keep-alive\n\n")
                self.chunk("\n")
        pieces = split_text(a["text"], rule.get("chunks", 3))
        for i, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            event = dict(base, object="chat.completion.chunk",
                         choices=[{"index": 0, "delta": delta, "finish_reason": None}])
            self.chunk("data: " + json.dumps(event) + "\n\n")
            if i == 0 and fault == "mid_stream_error":
                err = {"error": {"message": rule.get("error", "upstream failure"), "type": "server_error"}}
                self.chunk("data: " + json.dumps(err) + "\n\n")
                return self.end_stream()
            if i == 0 and fault == "drop":
                return self.drop()
            if i == 0 and fault == "stall":
                return self.stall(rule)
        if not self.stream_tail(rule, lambda piece: self.chunk("data: " + json.dumps(dict(
                base, object="chat.completion.chunk",
                choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}])) + "\n\n")):
            return
        last = dict(base, object="chat.completion.chunk",
                    choices=[{"index": 0, "delta": {}, "finish_reason": a["finish"]}])
        if (body.get("stream_options") or {}).get("include_usage"):
            last["usage"] = usage
        self.chunk("data: " + json.dumps(last) + "\n\n")
        self.chunk("data: [DONE]\n\n")
        self.end_stream()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default listen backlog of 5 drops bursts of connections

    def __init__(self, script, log_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = script
        self.log_path = log_path
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a killed rlm, a cancelled request) is a case the
        # tests make on purpose, not an error of the server.
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def stop_soon(self):
        self.stopping.set()
        threading.Thread(target=self.shutdown, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", help="JSON script (default: answer 'fake answer')")
    parser.add_argument("--port-file", required=True, help="where to write the port once listening")
    parser.add_argument("--log", required=True, help="JSON lines, one per request")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop after this long (default 300)")
    args = parser.parse_args()
    data = {"default": {"text": "fake answer"}}
    if args.script:
        with open(args.script) as f:
            data = json.load(f)
    open(args.log, "w").close()
    server = Server(Script(data), args.log)
    threading.Timer(args.max_seconds, server.stop_soon).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)  # appears whole: readers never see a partial port
    server.serve_forever(poll_interval=0.1)
    os._exit(0)  # timers and stalled handlers end with the process


if __name__ == "__main__":
    main()
