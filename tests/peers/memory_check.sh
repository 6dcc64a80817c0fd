#!/usr/bin/env bash
# aistor's own memory: peak RSS of `aistor run` (from the report's process.max_rss_bytes) against
# the buffers the phase configures (threads x queue_depth x block size). Goal: RSS <= 64 MiB + buffers.
# Usage: tests/peers/memory_check.sh [AISTOR] [DIR] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/memory}"
out="${3:-results/memory/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" "$dir"
{
  echo "command: $0 $*"
  echo "commit: $(git rev-parse HEAD)"
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(uname -a)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
} > "$out/machine.txt"

# name | engine json | block | threads | qd | extra
cases=(
  'pread-4k|{"name":"pread","direct":true}|4KiB|1|1|"rw":"randread"'
  'uring-qd32-128k|{"name":"io_uring","queue_depth":32,"direct":true}|128KiB|1|32|"rw":"read"'
  'uring-qd256-1m|{"name":"io_uring","queue_depth":256,"direct":true}|1MiB|1|256|"rw":"read"'
  'pread-8threads-1m|{"name":"pread","direct":true}|1MiB|8|1|"rw":"read"'
)
printf '| case | buffers (MiB) | max RSS (MiB) | RSS − buffers (MiB) | goal ≤ 64 MiB |\n|---|---:|---:|---:|---|\n' > "$out/summary.md"
for c in "${cases[@]}"; do
  IFS='|' read -r name engine block threads qd extra <<< "$c"
  cfg="$out/$name.json"
  cat > "$cfg" <<JSON
{"dir": "$dir", "phases": [{"name": "$name", "workload": "raw", $extra, "block_size": "$block",
  "size": "512MiB", "threads": $threads, "file_per_thread": false, "runtime": "3s",
  "time_based": true, "cache": "as-is", "engine": $engine}]}
JSON
  "$aistor" run "$cfg" --output "$out/$name.report.json" > "$out/$name.log"
  python3 - "$out/$name.report.json" "$block" "$threads" "$qd" "$name" >> "$out/summary.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
units = {"KiB": 1024, "MiB": 1 << 20}
b = sys.argv[2]
block = int(b[:-3]) * units[b[-3:]]
buffers = block * int(sys.argv[3]) * int(sys.argv[4])
rss = r["process"]["max_rss_bytes"]
over = (rss - buffers) / 2**20
print(f"| {sys.argv[5]} | {buffers / 2**20:.1f} | {rss / 2**20:.1f} | {over:.1f} | {'PASS' if over <= 64 else 'MISS'} |")
PY
done
cat "$out/summary.md"
