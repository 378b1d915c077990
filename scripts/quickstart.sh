#!/usr/bin/env bash
# From a fresh Debian 12 machine to a working rlm: installs what is missing, builds the
# release binary, shows the configuration rlm would use, and runs rlm's main job, `rlm ask`
# over a 2.5 MB log (scripts/demo.sh: a local Ollama when one answers, else an offline demo
# through the fake provider with a scripted model, labelled as such).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rlm
echo
echo "== build/release/rlm config show"
build/release/rlm config show
echo
scripts/demo.sh build/release/rlm
echo
echo "rlm is built: build/release/rlm and its Lua worker build/release/rlm-worker (put both on your PATH, side by side, e.g. sudo install build/release/rlm build/release/rlm-worker /usr/local/bin/)"
