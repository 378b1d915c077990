# Sourced by the bench scripts that run rlm against the fake provider (from the repository's
# root): a scratch folder $work, removed on exit with the server, and start_fake_provider
# SCRIPT.json, which starts the server (requests logged to $work/log) and sets $port.
work=$(mktemp -d /tmp/rlm-bench-XXXXXX)
fake_pid=""
trap '[ -n "$fake_pid" ] && kill $fake_pid 2>/dev/null; rm -rf "$work"' EXIT

start_fake_provider() {
  python3 tests/fake_provider/fake_provider.py --script "$1" --port-file "$work/port" \
    --log "$work/log" --max-seconds 300 &
  fake_pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  [ -s "$work/port" ] || { echo "$(basename "$0"): the fake provider did not start" >&2; exit 1; }
  port=$(cat "$work/port")
}
