#!/usr/bin/env bash
# On the GPU machine (16 cores, its own disk): configs/packing.json, the seed's packing table,
# where the disk and the cores differ from the development VM's. Two steps, each within one
# device command's time:
#   tests/gpu/packing_on_gpu.sh build   builds (tests/gpu/gpu_common.sh) and runs the Pack tests
#   tests/gpu/packing_on_gpu.sh run     runs the config and prints the packing table
# Results in $OUT (or ./gpu-out): machine.txt, tests.log, packing.json.gz (the report),
# packing-table.md, run.txt. Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-gpu}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
case "${1:-}" in
  build)
    gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/packing_on_gpu.sh build"
    build_gpu
    build-gpu/tests/aistor_tests --gtest_filter='Pack*:Arrow*' > "$out/tests.log" 2>&1 || true
    grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true
    ;;
  run)
    gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/packing_on_gpu.sh run"
    lib=/tmp/deps/usr/lib/x86_64-linux-gnu
    export LD_LIBRARY_PATH="$lib"
    build-gpu/apps/aistor run configs/packing.json --dir "$data/packing" \
      --output "$out/packing.json" > "$out/run.txt" 2>&1 || echo "aistor run: exit $?"
    build-gpu/apps/aistor report --table packing --format md "$out/packing.json" |
      tee "$out/packing-table.md"
    gzip -9f "$out/packing.json"
    ;;
  *)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
