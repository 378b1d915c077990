#!/usr/bin/env bash
# Fails, listing the files, when any C++ source differs from what .clang-format asks for.
# Fix with: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=clang-format
fix=0
for arg in "$@"; do
  case "$arg" in
    --fix) fix=1 ;;
    *) clang_format="$arg" ;;
  esac
done
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.hpp.in' | grep -v '^build/' || true)
if [[ $fix -eq 1 ]]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  if ! diff -q <("$clang_format" --style=file "$f") "$f" >/dev/null; then bad+=("$f"); fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "not formatted as .clang-format asks (fix: scripts/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format: ${#files[@]} files ok"
