#!/usr/bin/env bash
# Cold model loads against fio's sequential read of the same file (issue goal: aistor's model-load
# into host memory >= 0.97 x fio at the same block size and depth). One GGUF file from
# `aistor gen model` (the 7b preset scaled); aistor's model-load reads it by range (the whole file,
# as fio does) and fio reads it with rw=read; two jobs: 128 KiB buffered pread (what ollama does)
# and 2 MiB io_uring O_DIRECT at queue depth 8. Both start cold: aistor's cache policy "cold" and
# fio's invalidate=1 both drop the file's pages (fadvise DONTNEED) first. Runs alternate a-b-b-a.
# Usage: tests/peers/model_load_vs_fio.sh [AISTOR] [DIR] [SCALE] [PAIRS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/modelpeer}"
scale="${3:-0.1}"
pairs="${4:-2}"
out="${5:-results/model-load-vs-fio/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"
model="$dir/model.gguf"
[ -f "$model" ] || "$aistor" gen model --preset 7b --scale "$scale" --format gguf --out "$model" \
  > "$out/gen.txt"
"$aistor" inspect "$model" > "$out/inspect.txt"

run_aistor() {  # $1 job, $2 tag
  local engine
  case "$1" in
    pread128k) engine='{"name": "pread"}'; chunk=128KiB ;;
    uring2m) engine='{"name": "io_uring", "direct": true, "queue_depth": 8}'; chunk=2MiB ;;
  esac
  cat > "$out/aistor-$1-$2.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "load", "workload": "model-load", "path": "$model", "order": "range",
   "chunk_size": "$chunk", "cache": "cold", "engine": $engine}
]}
JSON
  "$aistor" run "$out/aistor-$1-$2.json" --output "$out/aistor-$1-$2-report.json" > /dev/null
}
run_fio() {  # $1 job, $2 tag
  case "$1" in
    pread128k) set -- "$1" "$2" --ioengine=psync --bs=128k --direct=0 --iodepth=1 ;;
    uring2m) set -- "$1" "$2" --ioengine=io_uring --bs=2m --direct=1 --iodepth=8 ;;
  esac
  fio --name=load --filename="$model" --rw=read --invalidate=1 "${@:3}" --output-format=json \
    --output="$out/fio-$1-$2.json" > /dev/null
}
for job in pread128k uring2m; do
  for p in $(seq 1 "$pairs"); do
    run_aistor $job "$p-a"
    run_fio $job "$p-b"
    run_fio $job "$p-c"
    run_aistor $job "$p-d"
  done
done

python3 - "$out" "$pairs" <<'PY' | tee "$out/summary.md"
import json, sys, statistics
out, pairs = sys.argv[1], int(sys.argv[2])
print("| job | aistor GB/s (median) | fio GB/s (median) | aistor / fio | runs each |")
print("|---|---:|---:|---:|---:|")
for job in ("pread128k", "uring2m"):
    a, f = [], []
    for p in range(1, pairs + 1):
        for tag in ("a", "d"):
            ph = json.load(open(f"{out}/aistor-{job}-{p}-{tag}-report.json"))["phases"][0]
            assert ph["status"] == "ok", ph.get("error")
            a.append(ph["bytes_per_s"])
        for tag in ("b", "c"):
            f.append(json.load(open(f"{out}/fio-{job}-{p}-{tag}.json"))["jobs"][0]["read"]["bw_bytes"])
    ma, mf = statistics.median(a), statistics.median(f)
    print(f"| {job} | {ma / 1e9:.3f} | {mf / 1e9:.3f} | {ma / mf:.3f} | {len(a)} |")
PY
