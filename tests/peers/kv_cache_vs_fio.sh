#!/usr/bin/env bash
# The kv-cache workload at device speed: its storage-only throughput with each engine beside fio
# running the same engine, read/write mix and request-size split on the same directory (issue
# goal: aistor's best engine >= 0.9 x fio). aistor runs llama3.1-8b's KV in 256-token chunks (32 MiB
# entries, cut into 4 MiB requests) in slab files, USERS users, no host tier, fsync after each
# entry, for SECONDS, through io_uring (O_DIRECT, qd 8), O_DIRECT pread and buffered pread.
# fio then runs, for each phase, USERS jobs on files of the slabs' size in the same directory with
# that phase's mix: rwmixread and bssplit from its recorded read and write sizes, runs of 8
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

# For each aistor phase, fio with its engine and its mix: rwmixread and bssplit from the phase's
# recorded read and write sizes, the same queue depth, O_DIRECT or not, engine family.
"$py" - "$out" "$dir" "$seconds" "$users" <<'PY'
import json, sys
out, dirname, seconds, users = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
report = json.load(open(f"{out}/aistor-report.json"))
def split(sizes):
    total = sum(sizes.values())
    parts = [(int(k), v * 100 // total) for k, v in sizes.items()]
    parts[-1] = (parts[-1][0], parts[-1][1] + 100 - sum(p for _, p in parts))
    return ":".join(f"{k}/{p}" for k, p in parts if p > 0) or "4m/100"
for n, phase in enumerate(report["phases"]):
    rd, wr, engine = phase["read"], phase["write"], phase["engine"]
    direct = engine.get("direct", False) or engine["name"] == "odirect"
    slab = phase["workload_metrics"]["tiers"]["storage"]["budget_bytes"]
    with open(f"{out}/fio-{n}.job", "w") as f:
        f.write(f"""# as aistor phase {phase['name']}: {json.dumps(engine)}
[global]
directory={dirname}/fio
filename_format=kv.$jobnum
size={slab // users}
rw=randrw:8
rw_sequencer=sequential
rwmixread={round(100 * rd['ops'] / max(1, rd['ops'] + wr['ops']))}
bssplit={split(rd['sizes'])},{split(wr['sizes'])}
fsync=8
ioengine={'io_uring' if engine['name'] == 'io_uring' else 'psync'}
iodepth={engine.get('queue_depth', 1)}
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
for job in "$out"/fio-*.job; do
  n=$(basename "$job" .job)
  echo "fio --output-format=json --output=$out/$n.json $job" >> "$out/commands.txt"
  fio --output-format=json --output="$out/$n.json" "$job" > /dev/null
done
rm -rf "$dir/fio"

"$py" - "$out" <<'PY' | tee "$out/summary.md"
import json, sys
out = sys.argv[1]
phases = json.load(open(f"{out}/aistor-report.json"))["phases"]
print("# kv-cache storage-only throughput against fio with the same engine and mix\n")
print("Each aistor phase beside fio running its engine (family, O_DIRECT, queue depth), its")
print("read/write op mix and request sizes, runs of 8 sequential requests (an entry), fsync every")
print("8 writes (aistor fsyncs each 32 MiB entry), the same jobs and time, in the same directory.\n")
print("| engine | aistor GB/s | read : write ops | fio GB/s | fio read : write ops | aistor / fio | status |")
print("|---|---|---|---|---|---|---|")
for n, p in enumerate(phases):
    job = json.load(open(f"{out}/fio-{n}.json"))["jobs"][0]
    fio_bps = job["read"]["bw_bytes"] + job["write"]["bw_bytes"]
    e = p["engine"]
    label = e["name"] + ("+direct" if e.get("direct") else "") + (f" qd{e['queue_depth']}" if e.get("queue_depth", 1) > 1 else "")
    print(f"| {label} | {p.get('bytes_per_s', 0) / 1e9:.3f} | {p['read']['ops']} : {p['write']['ops']} | "
          f"{fio_bps / 1e9:.3f} | {job['read']['total_ios']} : {job['write']['total_ios']} | "
          f"{p.get('bytes_per_s', 0) / fio_bps:.2f} | {p['status']} |")
PY
# The raw reports and jobs in one archive (aistor's report embeds its config).
(cd "$out" && tar -czf runs.tar.gz aistor-report.json fio-*.json fio-*.job &&
  rm -f aistor-report.json fio-*.json fio-*.job aistor.json aistor.txt)
