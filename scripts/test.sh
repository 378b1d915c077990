#!/usr/bin/env bash
# Builds rlm (ci preset: optimised, assertions on, warnings as errors) and runs every test:
# unit tests, golden CLI tests against the built binary, and the formatting check.
# Installs missing Debian packages first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci
