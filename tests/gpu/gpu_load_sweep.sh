#!/usr/bin/env bash
# On the GPU machine: issue 7's load goals, swept (configs/gpu-load-sweep.json). Builds, runs the
# GPU engine and huge-page tests, measures the copy ceilings (`aistor probe gpu`), writes one 8 GiB
# safetensors file, loads it with safetensors.load_file(device="cuda") cold and warm, runs the
# sweep, then the peer again, and summarizes (tests/gpu/summarize_gpu_load.py: the cold goal's
# disk baseline is the best O_DIRECT shape swept). Results in $OUT (or ./gpu-out): machine.txt,
# tests.log, tests-gds-udev.log, probe-gpu.json, peers.jsonl, sweep.json, sweep.txt, summary.md.
# Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-gpu}"
bytes=8589934592
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/gpu_load_sweep.sh"
build_gpu
build-gpu/tests/aistor_tests --gtest_filter='HugePages*:OnGpu*:*GpuRead*:GpuEngine*' \
  > "$out/tests.log" 2>&1 || echo "tests: exit $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true
cufile_udev_entry /var/tmp  # gds: see gpu_common.sh
build-gpu/tests/aistor_tests --gtest_filter='*Gds*:*gds*' > "$out/tests-gds-udev.log" 2>&1 ||
  echo "gds tests with the udev entry: exit $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests-gds-udev.log" || true
grep -E "AnonHugePages|HugePages_Total" /proc/meminfo || true
cat /sys/kernel/mm/transparent_hugepage/enabled || true

$aistor probe gpu --json "$out/probe-gpu.json" > /dev/null
python3 tests/peers/gpu_load_peer.py make "$data/model.0" "$bytes"
safetensors_round "$data/model.0" | tee "$out/peers.jsonl"
$aistor run configs/gpu-load-sweep.json --dir "$data" --output "$out/sweep.json" \
  > "$out/sweep.txt" 2>&1 || echo "aistor run configs/gpu-load-sweep.json: exit $?"
safetensors_round "$data/model.0" | tee -a "$out/peers.jsonl"
python3 tests/gpu/summarize_gpu_load.py "$out/peers.jsonl" "$out/probe-gpu.json" "$out/sweep.json" |
  tee "$out/summary.md"
