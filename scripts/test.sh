#!/usr/bin/env bash
# Install what is missing, build, and pass the tests: the dev build, then the ASan+UBSan build.
# Usage: scripts/test.sh [dev|asan|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
scripts/install-deps.sh --tests
jobs=$(nproc)
run_preset() {
  echo "== $1: configure, build, test"
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j "$jobs"
  ctest --preset "$1" -j "$jobs"
}
case "$which" in
  dev) run_preset dev ;;
  asan) run_preset asan ;;
  all) run_preset dev; run_preset asan ;;
  *) echo "test.sh: unknown build $which (dev, asan or all)" >&2; exit 2 ;;
esac
