#!/usr/bin/env bash
# On the GPU machine: the kv-cache workload into GPU memory (issue goal: llama3.1-8b KV blocks
# loaded from a warm host tier into GPU memory at >= 0.9 x the pinned copy ceiling of
# `aistor probe gpu` for 256-token blocks (32 MiB), >= 0.7 x for 16-token blocks (2 MiB)).
# Builds aistor with the CUDA parts, runs the GPU tests (the GPU engines must register and run),
# measures the copy ceilings, then USERS users each re-reading an 8192-token conversation (1 GiB
# of KV) held in a pinned host tier into GPU memory through the gpu engine, for each block size;
# last smoke phases: every tier (GPU, host, storage) with the gpu engine, and a slab through gds.
# Results go to $OUT (or ./gpu-out): machine.txt, gpu-tests.log, probe-gpu.json, kv-gpu.json,
# summary.md. Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-gpu}"
users="${USERS:-4}"
seconds="${SECONDS_PER_PHASE:-15}"
repeat="${REPEAT:-3}"  # the host-to-gpu phases run REPEAT times; the goal is judged on the median
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "USERS=$users tests/gpu/kv_cache_on_gpu.sh"
build_gpu
cufile_udev_entry "$data"  # the gds phase: see gpu_common.sh
build-gpu/tests/aistor_tests --gtest_filter='OnGpu*:*GpuRead*:GpuEngine*:Checksum64*:Kv*' \
  2>&1 | tee "$out/gpu-tests.log" | grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" || true
$aistor engines --dir "$data" | tee -a "$out/gpu-tests.log"
$aistor probe gpu --chunks 2M,32M,64M --json "$out/probe-gpu.json" > /dev/null

phase() {  # name block_tokens
  cat <<JSON
    {"name": "$1", "workload": "kv-cache", "model": "llama3.1-8b", "block_tokens": $2,
     "users": $users, "duration": "${seconds}s", "context": 8192, "turns": 1000000,
     "tiers": {"host": "$((users * 2))GiB", "storage": 0}, "engine": {"name": "gpu"}, "repeat": $repeat}
JSON
}
cat > "$out/kv-gpu-config.json" <<JSON
{"dir": "$data", "phases": [
$(phase host-to-gpu-256 256),
$(phase host-to-gpu-16 16),
    {"name": "all-tiers", "workload": "kv-cache", "model": "llama3.1-8b", "block_tokens": 256,
     "users": $users, "duration": "${seconds}s",
     "context": {"distribution": "mlperf"}, "system_prompt_tokens": 1024, "generate_tokens": 256,
     "tiers": {"gpu": "2GiB", "host": "2GiB", "storage": "8GiB"}, "sync": "none",
     "engine": {"name": "gpu", "host_engine": "io_uring"}},
    {"name": "gds-slab", "workload": "kv-cache", "model": "llama3.1-8b", "block_tokens": 256,
     "users": $users, "duration": "${seconds}s", "layout": "slab",
     "context": {"distribution": "mlperf"}, "system_prompt_tokens": 1024, "generate_tokens": 256,
     "tiers": {"storage": "8GiB"}, "sync": "none", "engine": {"name": "gds"}}
]}
JSON
$aistor run "$out/kv-gpu-config.json" --output "$out/kv-gpu.json" | tee "$out/kv-gpu.txt" || true
$aistor report --table kv-cache "$out/kv-gpu.json" >> "$out/kv-gpu.txt" || true

python3 - "$out" "$users" <<'PY' | tee "$out/summary.md"
import json, sys
out, users = sys.argv[1], sys.argv[2]
probe = json.load(open(f"{out}/probe-gpu.json"))["copies"]
pinned = {c["chunk"]: c["bytes_per_s"] for c in probe
          if c["direction"] == "host_to_device" and c["memory"] == "pinned"}
ceiling = max(pinned.values())
print("# kv-cache: KV blocks from a pinned host tier into GPU memory\n")
print(f"Pinned host-to-device ceiling (`aistor probe gpu`, best chunk): {ceiling / 1e9:.2f} GB/s\n")
print("| phase | block | host-tier bytes read | GB/s (over the phase) | / ceiling | goal | status |")
print("|---|---|---|---|---|---|---|")
runs = {}
for p in json.load(open(f"{out}/kv-gpu.json"))["phases"]:
    w = p.get("workload_metrics") or {}
    if not w:
        print(f"| {p['name']} | - | - | - | - | - | {p['status']}: {p.get('error', '')} |")
        continue
    host = w["tiers"]["host"]
    rate = host["read_bytes"] / w["wall_s"] if w.get("wall_s") else 0
    block = w["block_tokens"]
    runs.setdefault((p["name"], block), []).append(rate)
    print(f"| {p['name']} | {block} tok | {host['read_bytes'] / 2**30:.1f} GiB | {rate / 1e9:.2f} | "
          f"{rate / ceiling:.2f} | - | {p['status']} |")
print("\n| phase | users | runs | median GB/s | min-max GB/s | median / ceiling | goal |")
print("|---|---|---|---|---|---|---|")
for (name, block), rates in runs.items():
    goal = {256: 0.9, 16: 0.7}.get(block) if name.startswith("host-to-gpu") else None
    if goal is None:
        continue
    med = sorted(rates)[len(rates) // 2]
    verdict = ("PASS" if med / ceiling >= goal else "MISS") + f" (>= {goal})"
    print(f"| {name} | {users} | {len(rates)} | {med / 1e9:.2f} | {min(rates) / 1e9:.2f}-"
          f"{max(rates) / 1e9:.2f} | {med / ceiling:.2f} | {verdict} |")
PY
