#!/usr/bin/env bash
# Dataset generation throughput against the raw workload's sequential write bandwidth on the same
# target (issue goal: generation >= 0.8 x raw write). Alternates gen / raw for PAIRS pairs per
# preset; each raw run writes as many bytes as the dataset holds, with the same number of threads,
# buffered pwrite (pread engine) and fsync at the end, as the generator does.
# Usage: tests/peers/generation_bench.sh [AISTOR] [DIR] [SCALE] [PAIRS] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/genbench}"
scale="${3:-0.01}"
pairs="${4:-3}"
out="${5:-results/generation/$(date -u +%Y%m%dT%H%M%SZ)}"
threads=$(nproc)
mkdir -p "$out" "$dir"
{
  echo "command: $0 $*"
  echo "commit: $(git rev-parse HEAD)"
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(uname -a)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $threads"
  echo "target: $(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$dir")"
} > "$out/machine.txt"
echo "| preset | format | pair | gen MB/s | raw write MB/s | ratio |" > "$out/summary.md"
echo "|---|---|---:|---:|---:|---:|" >> "$out/summary.md"
for preset in openwebtext imagenet; do
  for format in tfrecord ffrecord; do
    for p in $(seq 1 "$pairs"); do
      rm -rf "$dir/ds" "$dir"/raw-gen.*
      "$aistor" gen dataset --dir "$dir/ds" --preset "$preset" --scale "$scale" --format "$format" \
        --threads "$threads" > "$out/$preset-$format-gen-$p.txt"
      bytes=$(python3 -c "import json;print(json.load(open('$dir/ds/aistor-dataset.json'))['file_bytes'])")
      gen=$(grep -o '([0-9.]* MB/s)' "$out/$preset-$format-gen-$p.txt" | tr -d '( MB/s)')
      per=$(( (bytes / threads + 1048575) / 1048576 * 1048576 ))
      cat > "$out/raw.json" <<JSON
{"dir": "$dir", "phases": [{"name": "raw-write", "workload": "raw", "rw": "write",
  "block_size": "1MiB", "size": $per, "threads": $threads, "file_name": "raw-gen",
  "fsync_at_end": true, "cache": "as-is", "engine": {"name": "pread"}}]}
JSON
      rm -f "$dir"/raw-gen.*
      "$aistor" run "$out/raw.json" --output "$out/$preset-$format-raw-$p.json" > /dev/null
      raw=$(python3 -c "import json;print(round(json.load(open('$out/$preset-$format-raw-$p.json'))['phases'][0]['bytes_per_s']/1e6,1))")
      ratio=$(python3 -c "print(round($gen/$raw,3))")
      echo "| $preset | $format | $p | $gen | $raw | $ratio |" >> "$out/summary.md"
    done
  done
done
rm -rf "$dir/ds" "$dir"/raw-gen.*
cat "$out/summary.md"
