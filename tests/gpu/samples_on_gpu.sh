#!/usr/bin/env bash
# On the GPU machine (16 cores): the samples workload against PyTorch's DataLoader on cached 5 KB
# samples (issue 4's first goal), where there are cores enough for aistor's read threads and the
# DataLoader's worker processes alike: tests/peers/samples_vs_dataloader.sh with READ_THREADS
# (default 8) aistor read threads and the floor's loops, and the DataLoader at num_workers 0, 1, 2,
# 4 (the goal's set) and READ_THREADS (like for like). Results in $OUT (or ./gpu-out): the bench's
# files (summary.md last) and machine.txt. Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-dlpeer}"
threads="${READ_THREADS:-8}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
build_gpu aistor
rm -rf "$data"
PYTHON=python3 READ_THREADS="$threads" WORKERS="0 1 2 4 $threads" \
  tests/peers/samples_vs_dataloader.sh "$aistor" "$data" "${SAMPLES:-200000}" 2 "$out"
