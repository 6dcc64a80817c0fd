#!/usr/bin/env bash
# MLPerf Storage rules mode (issue 32's goals), on this machine:
#  1. each training preset's I/O pattern as aistor measures it — request sizes, samples and bytes
#     per step — against what the preset's parameters imply (within 2 %): `aistor mlperf training
#     PRESET --accelerators A --runs 1 --epochs 1` at a scale that fits this disk;
#  2. unet3d and retinanet at small scale: the most accelerators at the AU threshold (--search),
#     with aistor's own CPU time per step against the step's compute time (<= 10 %);
#  3. each checkpoint preset's bytes (sizing as MLPerf's DLIO) against MLPerf's totals.
# The reports are written to /dev/shm (another filesystem than the data, as the rules ask), then
# copied to OUT. Writes OUT/<preset>.json, OUT/runs.txt, OUT/summary.md, OUT/machine.txt.
# Usage: tests/peers/mlperf_presets.sh [AISTOR] [DIR] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/mlperf}"
out="${3:-results/mlperf-presets/$(date -u +%Y%m%dT%H%M%SZ)}"
shm="/dev/shm/aistor-mlperf-$$"
mkdir -p "$out" "$dir" "$shm"
trap 'rm -rf "$shm"' EXIT
dir="$(cd "$dir" && pwd)"
out="$(cd "$out" && pwd)"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "reports written first to $(findmnt -no SOURCE,FSTYPE -T /dev/shm)"
: > "$out/runs.txt"
one() {  # name, then aistor mlperf's arguments
  local name="$1"
  shift
  echo "== aistor mlperf $* --dir $dir" | tee -a "$out/runs.txt"
  "$aistor" mlperf "$@" --dir "$dir" --output "$shm/$name.json" >> "$out/runs.txt" 2>&1
  cp "$shm/$name.json" "$out/$name.json"
}
# The I/O pattern: enough samples for a sample mean within 2 % where sizes vary (stdev/mean 1/3:
# 2,000 samples give a standard error of 0.75 %); more accelerators where steps are long.
one io-unet3d training unet3d --scale 0.25 --accelerators 1 --runs 1 --epochs 1
one io-retinanet training retinanet --scale 0.00115 --accelerators 8 --runs 1 --epochs 1
one io-flux training flux --scale 0.0019 --accelerators 16 --runs 1 --epochs 1
one io-dlrm training dlrm --scale 0.25 --accelerators 1 --runs 1 --epochs 1
one io-resnet50 training resnet50 --scale 0.01 --accelerators 1 --runs 1 --epochs 1
one io-cosmoflow training cosmoflow --scale 0.004 --accelerators 1 --runs 1 --epochs 1
# The searches.
one search-unet3d training unet3d --scale 0.25 --search
one search-retinanet training retinanet --scale 0.01 --search --from 16
# Checkpoints: sizes at full scale are reported without writing them (scale 1e-5 runs).
for m in llama3-8b llama3-70b llama3-405b llama3-1t; do
  one "ckpt-$m" checkpoint "$m" --scale 0.00001
done
/usr/bin/python3 "$(dirname "$0")/mlperf_presets_check.py" "$out" | tee "$out/summary.md"
