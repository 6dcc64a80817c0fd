#!/usr/bin/env bash
# The kv-cache workload against MLPerf Storage's KV-cache benchmark's I/O (its peer,
# tests/peers/mlperf_kv_cache_peer.py), side by side on one directory: the benchmark's storage
# stress shape (file tier only, one .npy-like entry per request, fsync each write, DONTNEED before
# each read, the chat/code/document context lengths, a re-read every 32 generated tokens), the
# same seed and duration, alternating peer, aistor, peer, aistor for PAIRS pairs at each point:
#   - llama3.1-8b at 8 users (MLPerf's model);
#   - the invocation's full user count, 200, with llama3.2-1b's KV (32 KiB a token): the peer at
#     200 users of llama3.1-8b would hold up to 200 x (payload + copy) of 32 MiB-1 GiB objects
#     (its RSS was 4.9 GB at 4 users), more than this machine's memory; aistor holds
#     users x queue depth x 4 MiB. Labelled as such in the summary.
# The summary (summary.md) compares storage throughput (payload bytes read + written / elapsed),
# requests/s, the written entry sizes' distributions (quantiles and the two-sample KS distance)
# and where each spends its time: the peer's host/device split beside aistor's data/fsync and
# fadvise/data parts.
# Usage: tests/peers/kv_cache_vs_mlperf.sh [AISTOR] [DIR] [SECONDS] [OUT]
# Environment: PAIRS (default 2), POINTS ("model:users ...", default "llama3.1-8b:8
# llama3.2-1b:200").
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/kvpeer}"
seconds="${3:-40}"
out="${4:-results/kv-cache-vs-mlperf/$(date -u +%Y%m%dT%H%M%SZ)}"
pairs="${PAIRS:-2}"
points="${POINTS:-llama3.1-8b:8 llama3.2-1b:200}"
py=/usr/bin/python3
mkdir -p "$out" "$dir"
BENCH_COMMAND="PAIRS=$pairs POINTS=\"$points\" $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "numpy: $($py -c 'import numpy; print(numpy.__version__)')"
: > "$out/commands.txt"

for point in $points; do
  model="${point%%:*}"
  users="${point##*:}"
  cat > "$out/aistor-$model-$users.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "$model-$users", "workload": "kv-cache", "model": "$model", "users": $users,
   "duration": "${seconds}s", "seed": 1, "context": {"distribution": "mlperf"},
   "generate_tokens": {"distribution": "uniform", "min": 128, "max": 256},
   "decode_reads_every": 32, "system_prompt_tokens": 256, "turns": 4,
   "tiers": {"host": 0, "storage": "unlimited"}, "sync": "each", "cold_reads": "fadvise",
   "kv_dir": "aistor", "engine": {"name": "pread"}}]}
JSON
  for ((i = 1; i <= pairs; i++)); do
    cmd=("$py" tests/peers/mlperf_kv_cache_peer.py --dir "$dir/peer" --model "$model"
         --num-users "$users" --duration "$seconds" --seed 1 --generation-mode none
         --system-prompt-tokens 256 --turns 4 --decode-batch 32 --gen-min 128 --gen-max 256
         --output "$out/peer-$model-$users-$i.json")
    echo "${cmd[*]}" >> "$out/commands.txt"
    /usr/bin/time -f '%M' -o "$out/peer-$model-$users-$i.rss" "${cmd[@]}" > /dev/null
    cmd=("$aistor" run "$out/aistor-$model-$users.json" --output "$out/aistor-$model-$users-$i.json")
    echo "${cmd[*]}" >> "$out/commands.txt"
    /usr/bin/time -f '%M' -o "$out/aistor-$model-$users-$i.rss" "${cmd[@]}" > /dev/null
  done
done

"$py" "$(dirname "$0")/kv_cache_vs_mlperf_summary.py" "$out" $points > "$out/summary.md"
cat "$out/summary.md"
# The raw reports in one archive (each aistor report embeds its config; RSS is in the summary).
(cd "$out" && tar -czf runs.tar.gz peer-*.json aistor-*-[0-9]*.json &&
  rm -f peer-*.json aistor-*.json ./*.rss)
