#!/usr/bin/env bash
# On the GPU machine (shared/device.md): build aistor with the CUDA parts, run the whole test suite
# (the GPU tests run for real there), measure the copy ceilings (`aistor probe gpu`), then the GPU
# load benchmark side by side with safetensors: configs/gpu-load.json on one 8 GiB safetensors
# file, the peer cold and warm before and after it. Ends with a summary table (summary.md).
# Results go to $OUT (or ./gpu-out): machine.txt, gpu-tests.log, probe-gpu.json, gpu-load.json,
# peers.jsonl, summary.md, logs.tgz, and gpu-load-2gpu.json where there are two GPUs. Needs liburing's .debs in .deps/, carried along.
#   BYTES=1073741824 tests/gpu/run_on_gpu.sh   # a smaller file (a multiple of 256 MiB)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
bytes="${BYTES:-8589934592}"
data="${DATA:-/var/tmp/aistor-gpu}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/run_on_gpu.sh (BYTES=$bytes)"
pack_logs() { tar -C /tmp -czf "$out/logs.tgz" gpu-logs; }
trap pack_logs EXIT
build_gpu
cufile_udev_entry "$data"  # the gds tests and phases: see gpu_common.sh
cufile_udev_entry /tmp

# The GPU tests, verbose (they must run, not skip), then the whole suite.
build-gpu/tests/aistor_tests --gtest_filter='OnGpu*:*GpuRead*:GpuEngine*:Checksum64*' \
  2>&1 | tee "$out/gpu-tests.log" | grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" || true
# Not here: the tests that need python3-jsonschema or chromium, which this machine lacks (CI runs
# them).
(cd build-gpu && ctest -j 8 --output-on-failure -E 'schema|html_in_chromium|faults.every_workload') \
  > /tmp/gpu-logs/ctest.log 2>&1 || true
tail -5 /tmp/gpu-logs/ctest.log
$aistor engines --dir "$data"

$aistor probe gpu --json "$out/probe-gpu.json"

python3 tests/peers/gpu_load_peer.py make "$data/model.0" "$bytes"
safetensors_round "$data/model.0" | tee "$out/peers.jsonl"
size_gib=$((bytes / 1073741824))
status=0  # a failed run still ends in the summary (which lists it), then fails the script
sets=()
phases=$(python3 -c 'import json,re,sys; print(len(json.loads(re.sub(r"(?m)^\s*//.*$", "", open(sys.argv[1]).read()))["phases"]))' configs/gpu-load.json)
[ "$bytes" = 8589934592 ] || for ((i = 0; i < phases; i++)); do sets+=(--set "phases.$i.size=$bytes"); done
$aistor run configs/gpu-load.json --dir "$data" ${sets[@]+"${sets[@]}"} --output "$out/gpu-load.json" |
  tee /tmp/gpu-logs/gpu-load.txt || { echo "aistor run configs/gpu-load.json: exit $?"; status=1; }
reports=("$out/gpu-load.json")
if [ "$(nvidia-smi -L | grep -c '^GPU')" -ge 2 ]; then
  sets=()
  [ "$bytes" = 8589934592 ] || sets=(--set "phases.0.size=$bytes" --set "phases.1.size=$bytes")
  $aistor run configs/gpu-load-2gpu.json --dir "$data" ${sets[@]+"${sets[@]}"} \
    --output "$out/gpu-load-2gpu.json" | tee -a /tmp/gpu-logs/gpu-load.txt ||
    { echo "aistor run configs/gpu-load-2gpu.json: exit $?"; status=1; }
  reports+=("$out/gpu-load-2gpu.json")
else
  echo "one GPU here: configs/gpu-load-2gpu.json not run"
fi
safetensors_round "$data/model.0" | tee -a "$out/peers.jsonl"
python3 tests/gpu/summarize_gpu_load.py "$out/peers.jsonl" "$out/probe-gpu.json" "${reports[@]}" |
  tee "$out/summary.md"
echo "file: $size_gib GiB safetensors at $data/model.0" >> "$out/summary.md"
exit $status
