#!/usr/bin/env bash
# On the GPU machine: a checkpoint whose state lives in GPU memory (issue 5, deliverable 6).
# Builds, runs the checkpoint, samples and GPU-engine tests (tests.log: samples into GPU memory
# too), then ROUNDS rounds of, in order:
#   aistor save, host memory, io_uring O_DIRECT QD 8, 4 MiB blocks   (the disk's own write rate)
#   aistor restore of it into host memory, cold (drop_caches)        (the disk's own read rate)
#   aistor save from GPU memory: gpu engine over that same host engine (device → pinned → disk)
#   aistor restore into GPU memory, cold, verified in GPU memory afterwards (untimed)
#   aistor save from GPU memory through buffered pread (gpu engine, host_engine pread)
#   torch.save of a state dict of CUDA tensors + fsync; torch.load(map_location="cuda"), cold
# all of SIZE bytes (default 8 GiB) in one shard, on the machine's own disk. Each save writes a
# checkpoint directory of its own: a save over an earlier checkpoint frees the old shard at its
# rename, and on this ext4 (mounted with discard) the directory fsync then waits for that shard's
# trim, which would charge one save for another's blocks. Writes machine.txt,
# the configs and reports (aistor-N.json, report-N.json), peers.jsonl and summary.md to $OUT.
# Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-ckpt}"
size="${SIZE:-8589934592}"
rounds="${ROUNDS:-3}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "SIZE=$size ROUNDS=$rounds tests/gpu/checkpoint_on_gpu.sh"
build_gpu
cufile_udev_entry /var/tmp  # the gds tests: see gpu_common.sh
build-gpu/tests/aistor_tests \
  --gtest_filter='*heckpoint*:*Samples*:OnGpu*:GpuEngine*:WorkerThreads*:Pump*' > "$out/tests.log" 2>&1 ||
  echo "tests: exit $?"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true

direct='{"name": "io_uring", "queue_depth": 8, "direct": true}'
gpu_direct='{"name": "gpu", "host_engine": "io_uring", "queue_depth": 8, "direct": true,
  "staging_buffers": 8, "staging_size": "4MiB"}'
gpu_buffered='{"name": "gpu", "host_engine": "pread", "staging_buffers": 4, "staging_size": "4MiB"}'
phase() {  # name op engine [extra]
  echo "{\"name\": \"$1\", \"workload\": \"checkpoint\", \"op\": \"$2\", \"size\": $size,
    \"block_size\": \"4MiB\", \"engine\": $3 ${4:+, $4}}"
}
cold='"cache": {"policy": "cold", "drop_caches": true}'
cat > "$out/aistor.json" <<JSON
{"dir": "$data", "allow_drop_caches": true, "phases": [
  $(phase save-host save "$direct" '"cache": "as-is", "checkpoint_dir": "ckpt-host"'),
  $(phase restore-host restore "$direct" "$cold, \"checkpoint_dir\": \"ckpt-host\""),
  $(phase save-gpu save "$gpu_direct" '"cache": "as-is", "checkpoint_dir": "ckpt-gpu"'),
  $(phase restore-gpu restore "$gpu_direct" "$cold, \"verify\": true, \"checkpoint_dir\": \"ckpt-gpu\""),
  $(phase save-gpu-buffered save "$gpu_buffered" '"cache": "as-is", "checkpoint_dir": "ckpt-gpu-buffered"')
]}
JSON
: > "$out/peers.jsonl"
# After each removal, sync: the journal commit that trims the freed blocks lands there, untimed.
for r in $(seq 1 "$rounds"); do
  rm -rf "$data"/ckpt-* "$data/torch.pt"; sync
  "$aistor" run "$out/aistor.json" --output "$out/report-$r.json" > "$out/aistor-$r.txt" 2>&1 ||
    echo "aistor round $r: exit $?"
  rm -rf "$data"/ckpt-*; sync
  python3 tests/peers/torch_gpu_checkpoint_peer.py save "$size" "$data/torch.pt" |
    sed "s/^{/{\"round\": $r, /" >> "$out/peers.jsonl"
  sync; echo 3 > /proc/sys/vm/drop_caches
  python3 tests/peers/torch_gpu_checkpoint_peer.py load "$data/torch.pt" |
    sed "s/^{/{\"round\": $r, /" >> "$out/peers.jsonl"
  rm -f "$data/torch.pt"
  tail -2 "$out/peers.jsonl"
done
python3 - "$out" "$rounds" <<'PY' | tee "$out/summary.md"
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
runs = {}
for r in range(1, rounds + 1):
    try:
        rep = json.load(open(f"{out}/report-{r}.json"))
    except (OSError, ValueError):
        continue
    for p in rep["phases"]:
        w = p.get("workload_metrics") or {}
        rate = w.get("durable_bytes_per_s") or w.get("restore_bytes_per_s")
        runs.setdefault(p["name"], []).append((p["status"], rate, w.get("state_in"), p.get("error")))
peers = [json.loads(l) for l in open(f"{out}/peers.jsonl") if l.strip()]
med = lambda xs: statistics.median(xs) if xs else float("nan")
rows = []
def row(label, rates, note=""):
    rows.append((label, med(rates), rates, note))
names = {"save-host": "aistor save from host memory, io_uring O_DIRECT QD 8, 4 MiB (the disk)",
         "restore-host": "aistor restore into host memory, cold, same engine (the disk)",
         "save-gpu": "aistor save from GPU memory: gpu over io_uring O_DIRECT (device → pinned → disk)",
         "restore-gpu": "aistor restore into GPU memory, cold, verified there",
         "save-gpu-buffered": "aistor save from GPU memory: gpu over buffered pread"}
print("| what (time to durable / restore) | median GB/s | runs GB/s | status, state |")
print("|---|---:|---|---|")
for name, label in names.items():
    rs = runs.get(name, [])
    rates = [x[1] for x in rs if x[0] == "ok" and x[1]]
    status = ", ".join(sorted({f"{x[0]} {x[2]}" for x in rs})) or "not run"
    errs = [x[3] for x in rs if x[3]]
    print(f"| {label} | {med(rates)/1e9:.2f} | {', '.join(f'{x/1e9:.2f}' for x in rates)} | {status}{'; ' + errs[0] if errs else ''} |")
for op, label in (("save", "torch.save of CUDA tensors + fsync"), ("load", "torch.load(map_location=\"cuda\"), cold")):
    rates = [p["bytes_per_s"] for p in peers if p["op"] == op]
    print(f"| {label} | {med(rates)/1e9:.2f} | {', '.join(f'{x/1e9:.2f}' for x in rates)} | peer |")
def m(name):
    return med([x[1] for x in runs.get(name, []) if x[0] == "ok" and x[1]])
tsave = med([p["seconds"] for p in peers if p["op"] == "save"])
tload = med([p["seconds"] for p in peers if p["op"] == "load"])
size = peers[0]["bytes"] if peers else 0
print()
print("| ratio | value |")
print("|---|---:|")
print(f"| save from GPU / save from host (same engine) | {m('save-gpu')/m('save-host'):.3f} |")
print(f"| restore into GPU / restore into host (same engine) | {m('restore-gpu')/m('restore-host'):.3f} |")
print(f"| aistor time to durable from GPU / torch.save + fsync (goal <= 0.5) | {size/m('save-gpu')/tsave:.3f} |")
print(f"| aistor buffered from GPU / torch.save + fsync | {size/m('save-gpu-buffered')/tsave:.3f} |")
print(f"| aistor restore into GPU / torch.load to cuda, cold | {size/m('restore-gpu')/tload:.3f} |")
PY
rm -rf "$data"/ckpt-*
