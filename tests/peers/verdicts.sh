#!/usr/bin/env bash
# What a number means (issue 29's first goal): four phases built to have known answers, run on
# this machine, each phase's verdict (where its bytes came from) and bound (what limited it)
# against the answer it must give, ROUNDS times:
#   warm-pread    256 MiB read through the page cache, cache warm     -> page cache
#   cold-direct   the same file, O_DIRECT (io_uring, depth 16), cold  -> storage, the device's
#                 bytes within 1 % of the bytes delivered
#   think-time    a training epoch whose simulated compute (200 ms a step) outlasts its reads
#                                                                     -> bound: think time
#   tmpfs-1k      1 KiB random reads on every core from a file on tmpfs (/dev/shm)
#                                                                     -> bound: client CPU
# Writes OUT/run-N.json, OUT/verdicts.txt (the summary table of each round) and OUT/summary.md.
# Usage: tests/peers/verdicts.sh [AISTOR] [DIR] [OUT]     Environment: ROUNDS (3).
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/verdicts}"
out="${3:-results/verdicts/$(date -u +%Y%m%dT%H%M%SZ)}"
rounds="${ROUNDS:-3}"
shm="/dev/shm/aistor-verdicts-$$"
mkdir -p "$out" "$dir" "$shm"
trap 'rm -rf "$shm"' EXIT
dir="$(cd "$dir" && pwd)"
out="$(cd "$out" && pwd)"
BENCH_COMMAND="ROUNDS=$rounds $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "tmpfs: $(findmnt -no SOURCE,FSTYPE -T /dev/shm)"
cores="$(nproc)"
cat > "$out/config.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "warm-pread", "workload": "raw", "rw": "read", "block_size": "128KiB", "size": "256MiB",
   "cache": "warm", "engine": {"name": "pread"}},
  {"name": "cold-direct", "workload": "raw", "rw": "read", "block_size": "1MiB", "size": "256MiB",
   "cache": "cold", "engine": {"name": "io_uring", "queue_depth": 16, "direct": true}},
  {"name": "think-time", "workload": "samples",
   "dataset": {"preset": "openwebtext", "scale": 0.01, "format": "tfrecord"},
   "epochs": 1, "batch_size": 1024, "read_threads": 1, "accelerators": 1, "compute": "200ms",
   "cache": "cold", "engine": {"name": "pread"}},
  {"name": "tmpfs-1k", "workload": "raw", "dir": "$shm", "rw": "randread", "block_size": "1KiB",
   "size": "64MiB", "threads": $cores, "file_per_thread": false, "runtime": "3s",
   "time_based": true, "engine": {"name": "pread"}}
]}
JSON
: > "$out/verdicts.txt"
for r in $(seq 1 "$rounds"); do
  "$aistor" run "$out/config.json" --output "$out/run-$r.json" > /dev/null
  "$aistor" report --table phases "$out/run-$r.json" >> "$out/verdicts.txt"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
want = {"warm-pread": ("source", "page cache"), "cold-direct": ("source", "storage"),
        "think-time": ("bound", "think time"), "tmpfs-1k": ("bound", "client CPU")}
rows, ok = [], True
for r in range(1, rounds + 1):
    for p in json.load(open(f"{out}/run-{r}.json"))["phases"]:
        v = p["verdict"]
        key, expected = want[p["name"]]
        good = v[key] == expected
        extra = ""
        if p["name"] == "cold-direct":
            top = p["devices"]["disks"][0]
            err = abs(top["read_bytes"] - p["read"]["bytes"]) / p["read"]["bytes"]
            extra = f"device read {top['read_bytes']} B of {p['read']['bytes']} delivered ({err * 100:.3f} % off)"
            good = good and err <= 0.01
        ok = ok and good
        share = "-" if v["device_share"] is None else f"{v['device_share']:.3f}"
        rows.append(f"| {r} | {p['name']} | {v['source']} | {share} | {v['bound']} | "
                    f"{expected} | {'PASS' if good else 'FAIL'} | {v['why']}{'; ' + extra if extra else ''} |")
with open(f"{out}/summary.md", "w") as f:
    f.write("# Verdicts on phases with known answers\n\n")
    f.write("| round | phase | source | device share | bound | must be | status | why |\n")
    f.write("|---|---|---|---|---|---|---|---|\n")
    f.write("\n".join(rows) + "\n")
    f.write(f"\nAll {'PASS' if ok else 'not PASS'}.\n")
print(open(f"{out}/summary.md").read())
sys.exit(0 if ok else 1)
PY
