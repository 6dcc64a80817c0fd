#!/usr/bin/env bash
# Cold sample reads against fio's random-read IOPS (issue goal: aistor's sample reads/s >= 0.9 x
# fio's IOPS at the same mean size and queue depth). The dataset is TFRecord with 16,368-byte
# payloads, so every record is exactly 16 KiB and every sample's aligned read is one 16 KiB
# block: aistor's samples workload (io_uring, O_DIRECT, queue depth QD, one reader, one epoch in a
# global shuffle) and fio (io_uring, direct, bs=16k, iodepth QD, randread over the same files,
# each block once) read the same blocks of the same files. Runs alternate a-b-b-a with a new seed
# each time (on a virtual disk the second reader of a sequence can find the host's cache warm).
# Usage: tests/peers/samples_vs_fio.sh [AISTOR] [DIR] [SAMPLES] [QD] [PAIRS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/fiopeer}"
samples="${3:-98304}"
qd="${4:-32}"
pairs="${5:-2}"
out="${6:-results/samples-vs-fio/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"

"$aistor" gen dataset --dir "$dir/ds" --format tfrecord --samples "$samples" --files 8 \
  --sizes '{"kind":"fixed","mean":"16368B"}' --seed 7 > "$out/gen.txt"
files=$(ls "$dir"/ds/*.tfrecord | tr '\n' ':' | sed 's/:$//')

run_aistor() {  # $1 seed, $2 tag
  cat > "$out/aistor-$2.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "samples", "workload": "samples", "path": "$dir/ds", "cache": "cold",
   "epochs": 1, "batch_size": 256, "read_threads": 1, "accelerators": 1, "prefetch": 64,
   "seed": $1, "engine": {"name": "io_uring", "queue_depth": $qd, "direct": true}}
]}
JSON
  "$aistor" run "$out/aistor-$2.json" --output "$out/aistor-$2-report.json" > "$out/aistor-$2.txt"
}
run_fio() {  # $1 seed, $2 tag
  fio --name=randread --filename="$files" --file_service_type=random --rw=randread --bs=16k \
    --iodepth="$qd" --ioengine=io_uring --direct=1 --randseed="$1" --output-format=json \
    --output="$out/fio-$2.json" > /dev/null
}
for p in $(seq 1 "$pairs"); do
  run_aistor $((100 + p)) "$p-a"
  run_fio $((200 + p)) "$p-b"
  run_fio $((300 + p)) "$p-c"
  run_aistor $((400 + p)) "$p-d"
done

python3 - "$out" "$pairs" "$qd" <<'PY'
import json, sys, statistics
out, pairs, qd = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = ["| run | tool | reads | reads/s | MB/s | p50 us | p99 us |", "|---|---|---:|---:|---:|---:|---:|"]
a_rates, f_rates = [], []
for p in range(1, pairs + 1):
    for tag, tool in (("a", "aistor"), ("b", "fio"), ("c", "fio"), ("d", "aistor")):
        name = f"{p}-{tag}"
        if tool == "aistor":
            ph = json.load(open(f"{out}/aistor-{name}-report.json"))["phases"][0]
            w = ph["workload_metrics"]
            reads, rate = ph["read"]["ops"], w["samples_per_s"]
            mbs = ph["read"]["bytes"] / w["seconds"] / 1e6
            p50, p99 = ph["latency_ns"]["p50"] / 1e3, ph["latency_ns"]["p99"] / 1e3
            a_rates.append(rate)
        else:
            j = json.load(open(f"{out}/fio-{name}.json"))["jobs"][0]["read"]
            reads, rate, mbs = j["total_ios"], j["iops"], j["bw_bytes"] / 1e6
            p50 = j["clat_ns"]["percentile"]["50.000000"] / 1e3
            p99 = j["clat_ns"]["percentile"]["99.000000"] / 1e3
            f_rates.append(rate)
        rows.append(f"| {name} | {tool} | {reads} | {rate:,.0f} | {mbs:,.1f} | {p50:.0f} | {p99:.0f} |")
a, f = statistics.median(a_rates), statistics.median(f_rates)
rows += ["", f"median aistor sample reads/s {a:,.0f}, median fio IOPS {f:,.0f}: ratio {a / f:.3f} "
         f"(goal >= 0.9: {'PASS' if a / f >= 0.9 else 'MISS'}), 16 KiB, QD {qd}"]
open(f"{out}/summary.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
