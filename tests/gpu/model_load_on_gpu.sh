#!/usr/bin/env bash
# On the GPU machine: model loads into GPU memory side by side (issue 6's GPU goal). One real
# safetensors model (`aistor gen model --size`, LLaMA-2-7B-shaped BF16 tensors) and the same
# tensors saved by torch.save; safetensors.torch.load_file(device="cuda") and torch.load(mmap=True)
# + .cuda() cold (drop_caches) and warm, before and after aistor's configs/model-load-gpu.json on
# the same file, after the model-load, storm and GPU tests on this machine. Results in $OUT (or
# ./gpu-out): machine.txt, tests.log, peers.jsonl, model-load-gpu.json, summary.md. Needs
# liburing's .debs in .deps/, carried along. (tests/gpu/storm_on_gpu.sh runs the storms here.)
#   SIZE=1GB tests/gpu/model_load_on_gpu.sh   # a smaller model
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
size="${SIZE:-4.3GB}"
data="${DATA:-/var/tmp/aistor-gpu}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/model_load_on_gpu.sh (SIZE=$size)"
build_gpu

build-gpu/tests/aistor_tests --gtest_filter='Storm*:ModelLoad*:ModelFile*:OnGpu*:*GpuRead*' \
  > "$out/tests.log" 2>&1 || true
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true

st="$data/model.safetensors"
pt="$data/model.pt"
[ -f "$st" ] || $aistor gen model --size "$size" --dtype BF16 --out "$st" > "$out/gen.txt"
$aistor inspect "$st" | head -3 | tee "$out/inspect.txt"
[ -f "$pt" ] || python3 tests/peers/gpu_load_peer.py convert "$st" "$pt" | tee -a "$out/gen.txt"

peer_round() {
  local how
  for how in "load $st" "load-torch $pt"; do
    for i in 1 2 3; do
      sync && echo 3 > /proc/sys/vm/drop_caches
      python3 tests/peers/gpu_load_peer.py $how | sed 's/^{/{"cache": "cold", /'
    done
    cat "${how#* }" > /dev/null
    python3 tests/peers/gpu_load_peer.py $how > /dev/null  # warm-up
    for i in 1 2 3; do
      python3 tests/peers/gpu_load_peer.py $how | sed 's/^{/{"cache": "warm", /'
    done
  done
}
peer_round | tee "$out/peers.jsonl"
sets=()
phases=$(python3 -c 'import json,re,sys; print(len(json.loads(re.sub(r"(?m)^\s*//.*$", "", open(sys.argv[1]).read()))["phases"]))' configs/model-load-gpu.json)
for ((i = 0; i < phases; i++)); do sets+=(--set "phases.$i.path=$st"); done
$aistor run configs/model-load-gpu.json --dir "$data" "${sets[@]}" \
  --output "$out/model-load-gpu.json" > /tmp/gpu-logs/model-load-gpu.txt ||
  echo "aistor run configs/model-load-gpu.json: exit $?"
tail -30 /tmp/gpu-logs/model-load-gpu.txt
peer_round | tee -a "$out/peers.jsonl"
python3 tests/gpu/summarize_model_load.py "$out/peers.jsonl" "$out/model-load-gpu.json" |
  tee "$out/summary.md"

