#!/usr/bin/env bash
# Installs the Debian 12 packages rlm needs to build and test, and nothing else.
# Idempotent: when everything is present it prints one line and touches nothing.
# --chromium also installs Chromium, which the test of `rlm bench report`'s chart renders
# the page in (without it, that one test is skipped); --fuzz installs clang-19 and its
# libFuzzer runtime for the fuzz preset (scripts/fuzz.sh). Both may be given.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev libsqlite3-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  liblua5.4-dev libre2-dev libspdlog-dev libgtest-dev libgmock-dev
  libbenchmark-dev clang-format python3 universal-ctags
)
for option in "$@"; do
  case "$option" in
  --chromium) packages+=(chromium) ;;
  --fuzz) packages+=(clang-19 libclang-rt-19-dev) ;;
  *) echo "install-deps: unknown option $option (use --chromium, --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
