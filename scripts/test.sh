#!/usr/bin/env bash
# Install what is missing, build, and pass the tests: the whole suite under ASan+UBSan (a Debug
# build like dev, so "all" does not build dev again: that kept CI under 30 minutes on 2 cores),
# the concurrency tests (pump, pipeline, samples, checkpoint, recorder, io_uring, storms, pack,
# kv-cache) under ThreadSanitizer, then a short run of every libFuzzer target
# (AISTOR_FUZZ_SECONDS each, 10).
# Usage: scripts/test.sh [dev|asan|tsan|fuzz|all]   (default all)
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
# ThreadSanitizer cannot start on kernels whose mmap randomisation it does not expect (GCC 12's
# libtsan with vm.mmap_rnd_bits > 28): probe with a two-line program and say so instead of failing.
tsan_works() {
  local dir
  dir=$(mktemp -d)
  printf '#include <thread>\nint main(){std::thread t([]{}); t.join();}\n' > "$dir/t.cpp"
  local ok=1
  if g++ -fsanitize=thread "$dir/t.cpp" -o "$dir/t" 2>/dev/null && "$dir/t" >/dev/null 2>&1; then
    ok=0
  fi
  rm -rf "$dir"
  return $ok
}
run_tsan() {
  if tsan_works; then
    run_preset tsan
  else
    echo "== tsan: skipped: ThreadSanitizer cannot run on this kernel (see vm.mmap_rnd_bits)"
  fi
}
run_fuzz() {
  echo "== fuzz: build the libFuzzer targets, run each ${AISTOR_FUZZ_SECONDS:-10} s"
  scripts/fuzz.sh --time "${AISTOR_FUZZ_SECONDS:-10}"
}
case "$which" in
  dev) run_preset dev ;;
  asan) run_preset asan ;;
  tsan) run_tsan ;;
  fuzz) run_fuzz ;;
  all) run_preset asan; run_tsan; run_fuzz ;;
  *) echo "test.sh: unknown build $which (dev, asan, tsan, fuzz or all)" >&2; exit 2 ;;
esac
