#!/usr/bin/env bash
# Builds rlm (ci preset: optimised, assertions on, warnings as errors) and runs every test
# tier: unit, integration, golden CLI, e2e, conformance (skipped without a llama-server) and
# format. `ctest --preset <tier>` runs one (CONTRIBUTING.md).
# Installs missing Debian packages first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci
