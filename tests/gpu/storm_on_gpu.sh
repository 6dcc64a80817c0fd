#!/usr/bin/env bash
# On the GPU machine (16 cores, its own disk): startup storms where there are cores for 8 clients.
# Builds, runs the storm tests, then tests/peers/storm_bench.sh (1 against 8 clients, fio's
# columns only where fio is installed) and configs/storm.json (1 and 8 clients, 128 KiB and
# 2 MiB, a refresh), with its storm table. Results in $OUT (or ./gpu-out): machine.txt,
# tests.log, storm-bench.tgz (every run's JSON), summary.md, storm.json, storm-table.txt.
# Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-gpu}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/storm_on_gpu.sh"
build_gpu
build-gpu/tests/aistor_tests --gtest_filter='Storm*' > "$out/tests.log" 2>&1 || true
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true
tests/peers/storm_bench.sh "$aistor" "$data/storm" "${STORM_SCALE:-1}" "${STORM_ROUNDS:-3}" \
  /tmp/storm-bench > /tmp/gpu-logs/storm-bench.txt 2>&1 ||
  { tail -20 /tmp/gpu-logs/storm-bench.txt; exit 1; }
cp /tmp/storm-bench/summary.md "$out/summary.md"
tar -C /tmp -czf "$out/storm-bench.tgz" storm-bench
cat "$out/summary.md"
$aistor run configs/storm.json --dir "$data" --output "$out/storm.json" > /dev/null ||
  echo "aistor run configs/storm.json: exit $?"
$aistor report --table storm "$out/storm.json" | tee "$out/storm-table.txt"
