#!/usr/bin/env bash
# Startup storm against a single client (issue goal: 8 clients on one host deliver an aggregate
# >= 0.9 x one client's cold throughput: no collapse), with fio's numjobs beside it as the peer.
# One GGUF file from `aistor gen model` (the 7b preset, scaled); aistor's storm workload with
# clients 1 and 8 (forked processes behind one barrier, each loading the whole file tensor by
# tensor), fio with numjobs 1 and 8 (each job reading the whole file, rw=read). Two jobs: 128 KiB
# buffered pread (as ollama reads) and 2 MiB buffered pread. Every run starts cold the same way:
# the file's pages are dropped (posix_fadvise DONTNEED) just before it, and neither tool drops
# them again (aistor cache "as-is", fio invalidate=0). The four runs of a round alternate
# (a1 a8 f1 f8, then reversed).
# Usage: tests/peers/storm_bench.sh [AISTOR] [DIR] [SCALE] [ROUNDS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/stormpeer}"
scale="${3:-1}"
rounds="${4:-4}"
out="${5:-results/storm/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
have_fio=$(command -v fio > /dev/null && echo 1 || echo 0)
write_machine_txt "$out/machine.txt" "$dir" "fio: $([ "$have_fio" = 1 ] && fio --version || echo none)" \
  "cores: $(nproc)" \
  "memory: $(free -b | awk '/Mem:/ {print $2}') bytes"
model="$dir/model.gguf"
[ -f "$model" ] || "$aistor" gen model --preset 7b --scale "$scale" --format gguf --out "$model" \
  > "$out/gen.txt"
"$aistor" inspect "$model" > "$out/inspect.txt"

drop() {
  python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$model"
}
chunk_of() { case "$1" in pread128k) echo 128KiB ;; pread2m) echo 2MiB ;; esac; }
run_aistor() {  # $1 job, $2 clients, $3 tag
  cat > "$out/aistor-$1-c$2-$3.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "storm", "workload": "storm", "clients": $2, "path": "$model",
   "chunk_size": "$(chunk_of "$1")", "cache": "as-is", "engine": {"name": "pread"}}
]}
JSON
  drop
  "$aistor" run "$out/aistor-$1-c$2-$3.json" --output "$out/aistor-$1-c$2-$3-report.json" \
    > /dev/null
}
run_fio() {  # $1 job, $2 jobs, $3 tag
  [ "$have_fio" = 1 ] || return 0
  local bs
  case "$1" in pread128k) bs=128k ;; pread2m) bs=2m ;; esac
  drop
  fio --name=storm --filename="$model" --rw=read --bs="$bs" --ioengine=psync --direct=0 \
    --invalidate=0 --numjobs="$2" --group_reporting --output-format=json \
    --output="$out/fio-$1-c$2-$3.json" > /dev/null
}
for job in pread128k pread2m; do
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
      run_aistor $job 1 "$r"; run_aistor $job 8 "$r"; run_fio $job 1 "$r"; run_fio $job 8 "$r"
    else
      run_fio $job 8 "$r"; run_fio $job 1 "$r"; run_aistor $job 8 "$r"; run_aistor $job 1 "$r"
    fi
  done
done
"$aistor" report --table storm "$out"/aistor-pread128k-c8-1-report.json > "$out/storm-table.txt"

python3 - "$out" "$rounds" <<'PY' | tee "$out/summary.md"
import json, os, sys, statistics
out, rounds = sys.argv[1], int(sys.argv[2])
med = statistics.median
print("| job | aistor 1 client GB/s | aistor 8 clients GB/s | 8 / 1 | fio 1 job GB/s | fio 8 jobs GB/s "
      "| fio 8 / 1 | aistor 8 / fio 8 | aistor 8: p50 / max completion s | straggler (median) "
      "| storage read per 8-client run (x file) | runs each |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for job in ("pread128k", "pread2m"):
    a1, a8, f1, f8, p50, mx, strag, stor = [], [], [], [], [], [], [], []
    for r in range(1, rounds + 1):
        for c, into in ((1, a1), (8, a8)):
            ph = json.load(open(f"{out}/aistor-{job}-c{c}-{r}-report.json"))["phases"][0]
            assert ph["status"] == "ok", ph.get("error")
            assert ph["cache"]["resident_fraction_before"] < 0.01, ph["cache"]
            w = ph["workload_metrics"]
            into.append(w["last_done_bytes_per_s"])
            if c == 8:
                p50.append(w["completion_s"]["p50"]); mx.append(w["completion_s"]["max"])
                strag.append(w["straggler_ratio"])
                stor.append(w["storage_read_bytes"] / w["model"]["file_bytes"])
        for c, into in ((1, f1), (8, f8)):
            path = f"{out}/fio-{job}-c{c}-{r}.json"
            if os.path.exists(path):
                into.append(json.load(open(path))["jobs"][0]["read"]["bw_bytes"])
    fio = (f"| {med(f1)/1e9:.2f} | {med(f8)/1e9:.2f} | {med(f8)/med(f1):.2f} | {med(a8)/med(f8):.2f} "
           if f1 and f8 else "| - | - | - | - ")
    print(f"| {job} | {med(a1)/1e9:.2f} | {med(a8)/1e9:.2f} | {med(a8)/med(a1):.2f} " + fio +
          f"| {med(p50):.2f} / {med(mx):.2f} | {med(strag):.3f} | {med(stor):.2f} | {rounds} |")
PY
