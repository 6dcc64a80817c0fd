#!/usr/bin/env bash
# What a disk carries reading and writing at once, measured by fio (the peer of the packing
# table's "r+w at once"): a sequential O_DIRECT read of one file alone, a sequential O_DIRECT
# write of another alone, then both at once (two fio jobs in one run), each ROUNDS times in turn,
# the page cache dropped before each (root). A pack reads and writes its payload; where the sum
# of the two at once is no more than one direction alone, the disk's directions share one
# channel, and no pack can run faster than half that sum. Writes fio's JSON of every run, a
# summary (summary.txt) and machine.txt to OUT.
# Usage: tests/peers/disk_both_ways.sh [DIR] [SIZE] [ROUNDS] [OUT]
set -euo pipefail
dir="${1:-aistor-data/both-ways}"
size="${2:-4G}"
rounds="${3:-3}"
out="${4:-results/packing/both-ways-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$dir" "$out"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"
common=(--bs=1M --size="$size" --direct=1 --ioengine=io_uring --iodepth=8 --output-format=json)
read_job=(--name=read --filename="$dir/read.dat" --rw=read)
write_job=(--name=write --filename="$dir/write.dat" --rw=write --end_fsync=1)
# The file read is laid out first (not measured).
fio --name=layout --filename="$dir/read.dat" --rw=write --bs=1M --size="$size" --direct=1 \
  --end_fsync=1 --output-format=json > /dev/null
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
for ((r = 1; r <= rounds; r++)); do
  drop; fio "${common[@]}" "${read_job[@]}" > "$out/read-$r.json"
  drop; fio "${common[@]}" "${write_job[@]}" > "$out/write-$r.json"
  rm -f "$dir/write.dat"
  drop; fio "${common[@]}" "${read_job[@]}" "${write_job[@]}" > "$out/both-$r.json"
  rm -f "$dir/write.dat"
done
python3 - "$out" "$rounds" <<'PY' | tee "$out/summary.txt"
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def rates(kind):
    r, w = [], []
    for i in range(1, rounds + 1):
        jobs = json.load(open(f"{out}/{kind}-{i}.json"))["jobs"]
        r.append(sum(j["read"]["bw_bytes"] for j in jobs))
        w.append(sum(j["write"]["bw_bytes"] for j in jobs))
    return r, w
(ro, _), (_, wo), (br, bw) = rates("read"), rates("write"), rates("both")
med = statistics.median
both = [a + b for a, b in zip(br, bw)]
print(f"fio, 1 MiB O_DIRECT io_uring QD 8, {rounds} rounds, medians (GB/s):")
print(f"  read alone           {med(ro) / 1e9:.2f}   (runs {' '.join(f'{x / 1e9:.2f}' for x in ro)})")
print(f"  write alone          {med(wo) / 1e9:.2f}   (runs {' '.join(f'{x / 1e9:.2f}' for x in wo)})")
print(f"  both at once: read   {med(br) / 1e9:.2f}, write {med(bw) / 1e9:.2f}, "
      f"sum {med(both) / 1e9:.2f}   (sums {' '.join(f'{x / 1e9:.2f}' for x in both)})")
print(f"  sum at once / the faster direction alone: {med(both) / max(med(ro), med(wo)):.2f}")
print(f"  a pack's bound, half the sum: {med(both) / 2e9:.2f} GB/s = "
      f"{med(both) / 2 / min(med(ro), med(wo)):.2f} of min(read, write)")
PY
rm -f "$dir/read.dat"
