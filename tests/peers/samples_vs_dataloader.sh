#!/usr/bin/env bash
# The samples workload against PyTorch's DataLoader on the same page-cache-resident datasets of
# 5 KB samples (issue goal: aistor samples/s >= 5 x the best DataLoader figure over num_workers
# 0, 1, 2, 4). Two layouts: a raw tree (one file per sample; both open, read and close each file)
# and FFRecord files (both read each sample at its offset). The DataLoader runs with and without
# persistent workers; each run has one warm-up epoch, then EPOCHS measured ones. aistor runs its
# engines with READ_THREADS read threads on the same files (warm cache, one warm-up phase first).
# Last, the floor: bare C++ loops side by side (read_floor.cpp, one per read thread) doing only the
# system calls or copies the sample reads need, so the table shows what the kernel allows here.
# Usage: tests/peers/samples_vs_dataloader.sh [AISTOR] [DIR] [SAMPLES] [EPOCHS] [OUT]
# Environment: READ_THREADS (aistor's read threads and the floor's loops, default 2), WORKERS (the
# DataLoader's num_workers values, default "0 1 2 4"), PYTHON (one with torch, default Debian's).
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/dlpeer}"
samples="${3:-200000}"
epochs="${4:-2}"
out="${5:-results/samples-vs-dataloader/$(date -u +%Y%m%dT%H%M%SZ)}"
py="${PYTHON:-/usr/bin/python3}"
threads="${READ_THREADS:-2}"
workers="${WORKERS:-0 1 2 4}"
mkdir -p "$out" "$dir"
BENCH_COMMAND="READ_THREADS=$threads WORKERS=\"$workers\" $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "torch: $($py -c 'import torch; print(torch.__version__)')"

sizes='{"kind":"fixed","mean":"5KB"}'
"$aistor" gen dataset --dir "$dir/raw" --format raw --samples "$samples" --fan_out 100 \
  --sizes "$sizes" --seed 3 > "$out/gen-raw.txt"
"$aistor" gen dataset --dir "$dir/ffr" --format ffrecord --samples "$samples" --files 8 \
  --sizes "$sizes" --seed 3 > "$out/gen-ffr.txt"

: > "$out/dataloader.jsonl"
for layout in raw ffr; do
  for w in $workers; do
    for persistent in 1 0; do
      [ "$w" = 0 ] && [ "$persistent" = 0 ] && continue
      "$py" tests/peers/dataloader_peer.py "$dir/$layout" --batch-size 64 --workers "$w" \
        --persistent "$persistent" --epochs "$epochs" >> "$out/dataloader.jsonl"
    done
  done
  cat > "$out/aistor-$layout.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "warm-up", "workload": "samples", "path": "$dir/$layout", "cache": "warm",
   "batch_size": 64, "read_threads": $threads, "engine": {"name": "pread"}},
  {"name": "$layout", "workload": "samples", "path": "$dir/$layout", "cache": "as-is",
   "epochs": $epochs, "batch_size": 64, "read_threads": $threads, "accelerators": 1, "prefetch": 16,
   "matrix": {"engine": [{"name": "pread"}, {"name": "mmap"}, {"name": "mmap", "populate": true},
                         {"name": "io_uring", "queue_depth": 32}]}}
]}
JSON
  "$aistor" run "$out/aistor-$layout.json" --output "$out/aistor-$layout-report.json" \
    > "$out/aistor-$layout.txt"
done

# The floor: bare loops doing only the sample reads' system calls (or copies), one per read
# thread, side by side (tests/peers/read_floor.cpp), after aistor's phases left the data cached.
g++ -O2 -std=c++20 "$(dirname "$0")/read_floor.cpp" -o "$out/read_floor"
find "$dir/raw" -name '*.bin' | sort > "$out/raw-list.txt"
: > "$out/floor.jsonl"
for mode in raw-abs raw-rel ffr-pread ffr-mmap; do
  case $mode in
    raw-*) args=("$out/raw-list.txt") ;;
    *) args=(5000 "$dir"/ffr/*.ffr) ;;
  esac
  for ((i = 1; i < threads; i++)); do
    "$out/read_floor" "$mode" "${args[@]}" > "$out/floor-$i.jsonl" &
  done
  "$out/read_floor" "$mode" "${args[@]}" >> "$out/floor.jsonl"
  wait
  for ((i = 1; i < threads; i++)); do cat "$out/floor-$i.jsonl" >> "$out/floor.jsonl"; done
  rm -f "$out"/floor-*.jsonl
done
rm -f "$out/read_floor" "$out/raw-list.txt"

"$py" - "$out" "$threads" <<'PY'
import json, sys, collections
out, threads = sys.argv[1], int(sys.argv[2])
runs = [json.loads(l) for l in open(f"{out}/dataloader.jsonl")]
per = collections.defaultdict(list)
for r in runs:
    per[(r["layout"], r["num_workers"], r["persistent_workers"])].append(r["samples_per_s"])
lines = ["| layout | reader | samples/s (median of epochs) |", "|---|---|---:|"]
best = {}
for (layout, w, p), v in sorted(per.items()):
    v.sort(); m = v[len(v) // 2]
    lines.append(f"| {layout} | DataLoader num_workers={w}{' persistent' if p else ''} | {m:,.0f} |")
    best[layout] = max(best.get(layout, 0), m)
names = {"raw": "raw", "ffr": "ffrecord"}
ratio_lines = ["", "| layout | best DataLoader | aistor engine | aistor samples/s | ratio | goal >= 5x |",
               "|---|---:|---|---:|---:|---|"]
for layout in ("raw", "ffr"):
    rep = json.load(open(f"{out}/aistor-{layout}-report.json"))
    for p in rep["phases"]:
        if p["name"] == "warm-up": continue
        s = p["workload_metrics"]["samples_per_s"]
        # The matrix's engine, options and all ("mmap(populate=true)"), from the phase name.
        eng = p["name"].split("[", 1)[1].rstrip("]") if "[" in p["name"] else p["engine"]["name"]
        lines.append(f"| {names[layout]} | aistor {eng}, {threads} read threads | {s:,.0f} |")
        r = s / best[names[layout]]
        ratio_lines.append(f"| {names[layout]} | {best[names[layout]]:,.0f} | {eng} | {s:,.0f} | {r:.2f} | {'PASS' if r >= 5 else 'MISS'} |")
floor = collections.defaultdict(float)
for l in open(f"{out}/floor.jsonl"):
    f = json.loads(l)
    floor[f["mode"]] += f["epoch_samples_per_s"][1]  # the second epoch, of each loop
ratio_lines += ["", f"| floor: {threads} bare loops side by side (read_floor.cpp), second epoch | samples/s | 5 x best DataLoader |",
                "|---|---:|---:|"]
for mode, layout, what in (("raw-abs", "raw", "open(absolute path) + pread + close"),
                           ("raw-rel", "raw", "openat(directory fd) + pread + close"),
                           ("ffr-pread", "ffrecord", "pread of 5000 B"),
                           ("ffr-mmap", "ffrecord", "memcpy of 5000 B from a populated mapping")):
    ratio_lines.append(f"| {layout}: {what} | {floor[mode]:,.0f} | {5 * best[layout]:,.0f} |")
open(f"{out}/summary.md", "w").write("\n".join(lines + ratio_lines) + "\n")
print("\n".join(lines + ratio_lines))
PY
