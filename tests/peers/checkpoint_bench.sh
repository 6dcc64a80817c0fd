#!/usr/bin/env bash
# Checkpoint save (time to durable) against fio and torch.save (issue goals: >= 0.97 x fio's
# sequential write of the same bytes, block size and direct flag with end_fsync; <= 0.5 x the
# time of torch.save + fsync of a state dict of the same bytes).
# One rank writes SIZE bytes in 1 MiB requests with psync/pread, buffered and O_DIRECT; fio
# writes a new file of the same size (fallocate=none, as the checkpoint does), its bandwidth
# taken over a runtime that includes end_fsync; torch.save writes a state dict of uint8 tensors.
# Runs alternate aistor, fio, fio, aistor for PAIRS rounds, buffered, then O_DIRECT, nothing else
# in between; then PAIRS rounds of torch, aistor. Every removal is followed by sync, so no run
# pays for another's freed blocks (this ext4 is mounted with discard).
# This VM's disk makes buffered 2 GiB writes bimodal — about 1.0 or about 2.3 GB/s, mostly
# alternating from one write to the next, whichever tool writes — so the median of either tool
# lands in whichever mode got the majority of its runs. The verdict therefore compares the tools'
# mean time to durable (the expected time of a save) over the a-b-b-a rounds, which give each
# tool every other write; the median ratio is shown beside it.
# Usage: tests/peers/checkpoint_bench.sh [AISTOR] [DIR] [SIZE_BYTES] [PAIRS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/ckptbench}"
size="${3:-2147483648}"
pairs="${4:-3}"
out="${5:-results/checkpoint/$(date -u +%Y%m%dT%H%M%SZ)}"
py=/usr/bin/python3
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version); torch: $($py -c 'import torch; print(torch.__version__)')"

run_aistor() {  # $1 direct(0/1; 2: io_uring O_DIRECT QD 8 with 4 MiB blocks) $2 tag
  local engine='{"name": "pread"}' block=1MiB
  [ "$1" = 1 ] && engine='{"name": "odirect"}'
  [ "$1" = 2 ] && engine='{"name": "io_uring", "queue_depth": 8, "direct": true}' && block=4MiB
  cat > "$out/aistor-$2.json" <<JSON
{"dir": "$dir", "phases": [{"name": "save", "workload": "checkpoint", "op": "save",
  "size": $size, "block_size": "$block", "cache": "as-is", "engine": $engine}]}
JSON
  rm -rf "$dir/checkpoint"; sync
  "$aistor" run "$out/aistor-$2.json" --output "$out/aistor-$2-report.json" > /dev/null
  rm -rf "$dir/checkpoint"; sync
}
run_fio() {  # $1 direct $2 tag
  rm -f "$dir/fio-ckpt"; sync
  fio --name=ckpt --filename="$dir/fio-ckpt" --rw=write --bs=1M --size="$size" --ioengine=psync \
    --direct="$1" --end_fsync=1 --fallocate=none --output-format=json \
    --output="$out/fio-$2.json" > /dev/null
  rm -f "$dir/fio-ckpt"; sync
}
run_torch() {  # $1 tag
  rm -f "$dir/torch.pt"; sync
  "$py" tests/peers/torch_save_peer.py "$size" "$dir/torch.pt" > "$out/torch-$1.json"
  rm -f "$dir/torch.pt"; sync
}
# Warm-up, not measured: the first 2 GiB write of a sequence on this disk ran at 0.4-0.5 GB/s
# whichever tool made it (five sequences out of five), the runs after it at the disk's rates.
run_aistor 0 warm-up; run_fio 0 warm-up
for d in 0 1; do
  for p in $(seq 1 "$pairs"); do
    run_aistor "$d" "d$d-$p-a"; run_fio "$d" "d$d-$p-b"; run_fio "$d" "d$d-$p-c"; run_aistor "$d" "d$d-$p-d"
  done
done
for p in $(seq 1 "$pairs"); do
  run_torch "$p-t"; run_aistor 0 "d0-$p-e"; run_aistor 2 "d2-$p-e"
done

"$py" - "$out" "$pairs" <<'PY'
import json, sys, statistics, glob, os
out, pairs = sys.argv[1], int(sys.argv[2])
def aistor(tag):
    w = json.load(open(f"{out}/aistor-{tag}-report.json"))["phases"][0]["workload_metrics"]
    return w["durable_bytes_per_s"], w["time_to_durable_s"]
def fio(tag):
    return json.load(open(f"{out}/fio-{tag}.json"))["jobs"][0]["write"]["bw_bytes"]
lines = ["| direct | aistor time-to-durable MB/s (runs, in order) | fio MB/s with end_fsync (runs, in order) | median ratio | ratio of mean times (fio / aistor) | goal >= 0.97 |",
         "|---|---|---|---:|---:|---|"]
for d in (0, 1):
    a = [aistor(f"d{d}-{p}-{t}")[0] for p in range(1, pairs + 1) for t in "ad"]
    f = [fio(f"d{d}-{p}-{t}") for p in range(1, pairs + 1) for t in "bc"]
    r = statistics.median(a) / statistics.median(f)
    # The same bytes every run: mean time is proportional to the mean of 1 / rate.
    m = statistics.mean(1 / x for x in f) / statistics.mean(1 / x for x in a)
    lines.append(f"| {d} | {', '.join(f'{x/1e6:.0f}' for x in a)} | {', '.join(f'{x/1e6:.0f}' for x in f)} | {r:.3f} | {m:.3f} | {'PASS' if m >= 0.97 else 'MISS'} |")
t = [json.load(open(f"{out}/torch-{p}-t.json"))["seconds"] for p in range(1, pairs + 1)]
lines += ["", "| aistor engine | aistor time to durable s (after each torch run) | torch.save + fsync s | median ratio | goal <= 0.5 |",
          "|---|---|---|---:|---|"]
for d, name in ((0, "pread, 1 MiB, buffered"), (2, "io_uring O_DIRECT QD 8, 4 MiB")):
    a = [aistor(f"d{d}-{p}-e")[1] for p in range(1, pairs + 1)]
    r = statistics.median(a) / statistics.median(t)
    lines.append(f"| {name} | {', '.join(f'{x:.2f}' for x in a)} | {', '.join(f'{x:.2f}' for x in t)} | {r:.3f} | {'PASS' if r <= 0.5 else 'MISS'} |")
open(f"{out}/summary.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
