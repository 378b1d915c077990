#!/usr/bin/env bash
# From a fresh Debian 12 machine to a working rlm: installs what is missing, builds the
# release binary, shows the configuration rlm would use, and runs Lua over the README in
# the sandbox that will run model-written code.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rlm
echo
echo "== build/release/rlm config show"
build/release/rlm config show
echo
echo "== build/release/rlm lua --context README.md -e '...'   (the sandbox rlm ask runs model code in)"
build/release/rlm lua --context README.md \
  -e 'print(context_lines .. " lines, " .. context_chars .. " characters")' \
  -e 'for _, hit in ipairs(grep("^## ", 0, 5)) do print(hit.line, hit.text) end'
echo
echo "rlm is built: build/release/rlm (put it on your PATH, e.g. sudo install build/release/rlm /usr/local/bin/)"
