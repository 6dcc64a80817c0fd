#!/usr/bin/env bash
# The disk's write modes, tool by tool: RUNS checkpoint saves by aistor in a row (buffered pread,
# 1 MiB, time to durable), then RUNS fio sequential writes of the same bytes in a row (psync,
# end_fsync, a new file each), every removal followed by sync. On this VM's disk buffered 2 GiB
# writes come out near 1.0 or near 2.3 GB/s, mostly alternating from one write to the next: this
# shows that each tool meets both modes, and how the two compare within each. Prints one line per
# run and writes runs.jsonl and machine.txt to OUT.
# Usage: tests/peers/checkpoint_modes.sh [AISTOR] [DIR] [SIZE_BYTES] [RUNS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/ckptmodes}"
size="${3:-2147483648}"
runs="${4:-8}"
out="${5:-results/checkpoint/modes-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"
cat > "$out/aistor.json" <<JSON
{"dir": "$dir", "phases": [{"name": "save", "workload": "checkpoint", "op": "save",
  "size": $size, "block_size": "1MiB", "cache": "as-is", "engine": {"name": "pread"}}]}
JSON
record() {  # TOOL RUN JSON: a line of runs.jsonl from aistor's report or fio's output
  python3 -c 'import json, sys
tool, run, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
j = json.load(open(path))
rate = (j["phases"][0]["workload_metrics"]["durable_bytes_per_s"] if tool == "aistor"
        else j["jobs"][0]["write"]["bw_bytes"])
print(json.dumps({"tool": tool, "run": run, "bytes_per_s": rate}))' "$@" | tee -a "$out/runs.jsonl"
}
: > "$out/runs.jsonl"
for i in $(seq 1 "$runs"); do
  rm -rf "$dir/checkpoint"; sync
  "$aistor" run "$out/aistor.json" --output "$out/report.json" > /dev/null
  rm -rf "$dir/checkpoint"; sync
  record aistor "$i" "$out/report.json"
done
rm -f "$out/report.json"
for i in $(seq 1 "$runs"); do
  rm -f "$dir/fio-ckpt"; sync
  fio --name=ckpt --filename="$dir/fio-ckpt" --rw=write --bs=1M --size="$size" --ioengine=psync \
    --direct=0 --end_fsync=1 --fallocate=none --output-format=json --output="$out/fio.json" > /dev/null
  rm -f "$dir/fio-ckpt"; sync
  record fio "$i" "$out/fio.json"
done
rm -f "$out/fio.json"
