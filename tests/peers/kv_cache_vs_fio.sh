#!/usr/bin/env bash
# The kv-cache workload at device speed: its storage-only throughput with each engine beside fio
# running the same read/write mix and request-size split on the same directory (issue goal:
# aistor's best engine >= 0.9 x fio). aistor runs llama3.1-8b's KV in 256-token chunks (32 MiB
# entries, cut into 4 MiB requests) in slab files, USERS users, no host tier, fsync after each
# entry, for SECONDS, through io_uring (O_DIRECT, qd 8), O_DIRECT pread and buffered pread.
# fio then runs USERS jobs on files of the slabs' size in the same directory with the best
# aistor phase's mix: rwmixread and bssplit from its recorded read and write sizes, runs of 8
# sequential requests (an entry) between random seeks, fsync every 8 writes (one per entry),
# the same queue depth, O_DIRECT or not and engine family, time-based for SECONDS.
# Usage: tests/peers/kv_cache_vs_fio.sh [AISTOR] [DIR] [SECONDS] [OUT]
# Environment: USERS (default 8), SLAB (storage budget, default 8GiB).
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/kvfio}"
seconds="${3:-30}"
out="${4:-results/kv-cache-vs-fio/$(date -u +%Y%m%dT%H%M%SZ)}"
users="${USERS:-8}"
slab="${SLAB:-8GiB}"
py=/usr/bin/python3
mkdir -p "$out" "$dir"
BENCH_COMMAND="USERS=$users SLAB=$slab $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"

cat > "$out/aistor.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "kv", "workload": "kv-cache", "model": "llama3.1-8b", "users": $users,
   "duration": "${seconds}s", "block_tokens": 256, "layout": "slab", "system_prompt_tokens": 1024,
   "context": {"distribution": "mlperf"}, "generate_tokens": 256, "decode_reads_every": 128,
   "tiers": {"host": 0, "storage": "$slab"}, "sync": "each", "cold_reads": "none",
   "request_size": "4MiB", "kv_dir": "aistor", "cache": "as-is",
   "matrix": {"engine": [{"name": "io_uring", "direct": true, "queue_depth": 8},
                         {"name": "odirect"}, {"name": "pread"}]}}]}
JSON
echo "$aistor run $out/aistor.json --output $out/aistor-report.json" > "$out/commands.txt"
"$aistor" run "$out/aistor.json" --output "$out/aistor-report.json" > "$out/aistor.txt"

# fio's job from the best aistor phase: its mix and sizes, its engine's family.
"$py" - "$out" "$dir" "$seconds" "$users" <<'PY' > "$out/fio.job"
import json, sys
out, dirname, seconds, users = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
phases = json.load(open(f"{out}/aistor-report.json"))["phases"]
best = max(phases, key=lambda p: p.get("bytes_per_s", 0))
def split(sizes):
    total = sum(sizes.values())
    parts = [(int(k), v * 100 // total) for k, v in sizes.items()]
    parts[-1] = (parts[-1][0], parts[-1][1] + 100 - sum(p for _, p in parts))
    return ":".join(f"{k}/{p}" for k, p in parts if p > 0) or "4m/100"
rd, wr = best["read"], best["write"]
mix = round(100 * rd["ops"] / max(1, rd["ops"] + wr["ops"]))
engine = best["engine"]
direct = engine.get("direct", False) or engine["name"] == "odirect"
ioengine = "io_uring" if engine["name"] == "io_uring" else "psync"
depth = engine.get("queue_depth", 1)
slab_bytes = json.load(open(f"{out}/aistor-report.json"))["phases"][0]["workload_metrics"]["tiers"]["storage"]["budget_bytes"]
print(f"""# from aistor phase {best['name']}: {engine}
[global]
directory={dirname}/fio
filename_format=kv.$jobnum
size={slab_bytes // users}
rw=randrw:8
rw_sequencer=sequential
rwmixread={mix}
bssplit={split(rd['sizes'])},{split(wr['sizes'])}
fsync=8
ioengine={ioengine}
iodepth={depth}
direct={1 if direct else 0}
numjobs={users}
group_reporting=1
time_based=1
runtime={seconds}
randrepeat=0
norandommap=1

[kv]
""")
PY
mkdir -p "$dir/fio"
echo "fio --output-format=json --output=$out/fio.json $out/fio.job" >> "$out/commands.txt"
fio --output-format=json --output="$out/fio.json" "$out/fio.job" > /dev/null
rm -rf "$dir/fio"

"$py" - "$out" <<'PY' | tee "$out/summary.md"
import json, sys
out = sys.argv[1]
phases = json.load(open(f"{out}/aistor-report.json"))["phases"]
job = json.load(open(f"{out}/fio.json"))["jobs"][0]
fio_bps = job["read"]["bw_bytes"] + job["write"]["bw_bytes"]  # the group's, bytes/s
print("# kv-cache storage-only throughput against fio with the same mix\n")
print(f"fio: {open(f'{out}/fio.job').readline().strip()[2:]}\n")
print("| engine | aistor GB/s (read + write) | read : write ops | fio GB/s | aistor / fio | status |")
print("|---|---|---|---|---|---|")
for p in phases:
    e = p["engine"]
    label = e["name"] + ("+direct" if e.get("direct") else "") + (f" qd{e['queue_depth']}" if e.get("queue_depth", 1) > 1 else "")
    print(f"| {label} | {p.get('bytes_per_s', 0) / 1e9:.3f} | {p['read']['ops']} : {p['write']['ops']} | "
          f"{fio_bps / 1e9:.3f} | {p.get('bytes_per_s', 0) / fio_bps:.2f} | {p['status']} |")
PY
