#!/usr/bin/env bash
# Runs rlm's main job: `rlm ask` over a document far larger than the prompt it sends.
# With a local Ollama answering, it asks the real model. Otherwise it runs an OFFLINE DEMO:
# the fake provider server answers with a scripted model (scripts/demo-script.json), which
# shows the machinery (the loop, the sandbox, sub-calls, the pipe), not a model's accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
rlm=${1:-build/release/rlm}
work=$(mktemp -d /tmp/rlm-demo-XXXXXX)
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A 2.5 MB log (about 650,000 tokens: no local model's context holds it) with one failure.
python3 - "$work/app.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(50_000):
        if i == 31_337:
            f.write("2026-11-22T03:12:09Z service=db request=31337 status=503 error=\"no space left on device\"\n")
        else:
            f.write(f"2026-11-22T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z service=api request={i} status=200 ok\n")
PY
question="Which request failed, and why?"

if curl -sf --max-time 2 http://localhost:11434/api/version >/dev/null 2>&1; then
  echo "== Ollama answers on localhost:11434: asking the real model (rlm doctor first)"
  "$rlm" doctor || true
  echo "== $rlm ask --context app.log \"$question\""
  "$rlm" ask --context "$work/app.log" "$question"
  exit 0
fi

echo "== No Ollama on localhost:11434: OFFLINE DEMO with a scripted fake model"
echo "   (the answers below are scripted; they show rlm's machinery, not a model's accuracy)"
python3 tests/fake_provider/fake_provider.py --script scripts/demo-script.json \
  --port-file "$work/port" --log "$work/requests.jsonl" --max-seconds 120 &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
cat >"$work/rlm.toml" <<TOML
[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$port"
model = "demo-root"
role = "root"

[[providers]]
provider_type = "ollama"
base_url = "http://127.0.0.1:$port"
model = "demo-sub"
role = "sub"
TOML
echo
echo "== cat app.log | rlm ask \"$question\"     (2.5 MB piped in; the model sees only its shape)"
cat "$work/app.log" | "$rlm" --config "$work/rlm.toml" ask --trajectory "$work/run.jsonl" "$question"
echo
echo "== what the root model was sent: $(python3 -c "
import json,sys
reqs=[json.loads(l) for l in open('$work/requests.jsonl')]
chats=[r for r in reqs if r['path']=='/api/chat']
size=max(len(json.dumps(r['body'])) for r in chats)
print(f'{len(chats)} model calls, the largest request {size:,} bytes, for a 2.5 MB document')
")"
echo "== the trajectory has $(wc -l <"$work/run.jsonl") JSON lines (rlm ask --trajectory FILE)"
