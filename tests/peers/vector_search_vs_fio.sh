#!/usr/bin/env bash
# Vector search at device speed, side by side with fio on the same index file (issue goals):
#  - recall@10 >= 0.9 at the shipped config's search list (configs/vector-search.json: L 64, beam
#    4, over its 50,000 x 128 index — the search is a real one);
#  - at high concurrency (CONCURRENCY queries on THREADS threads, io_uring, O_DIRECT) the device
#    IOPS during the search >= 0.85 x fio's 4 KiB random-read IOPS on the same file with the same
#    reads in flight (the reads aistor kept submitted, split over THREADS fio jobs);
#  - at concurrency 1, mean query latency <= 1.15 x hops x fio's hop time: the beam's W 4 KiB
#    reads submitted together and all awaited (iodepth W, batch submit and complete W), io_uring,
#    O_DIRECT, on the same file.
# The disk drifts within minutes: each aistor run sits between two fio runs and is compared with
# their mean, ROUNDS times, and the medians of the ratios are kept.
# Usage: tests/peers/vector_search_vs_fio.sh [AISTOR] [DIR] [SECONDS] [OUT]
# Environment: COUNT (50000, the shipped config's), CONCURRENCY (32), THREADS (4), ROUNDS (7).
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/vsfio}"
seconds="${3:-8}"
out="${4:-results/vector-search-vs-fio/$(date -u +%Y%m%dT%H%M%SZ)}"
count="${COUNT:-50000}"
conc="${CONCURRENCY:-32}"
threads="${THREADS:-4}"
rounds="${ROUNDS:-7}"
beam=4
py=/usr/bin/python3
mkdir -p "$out" "$dir"
BENCH_COMMAND="COUNT=$count CONCURRENCY=$conc THREADS=$threads ROUNDS=$rounds $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"
index='{"dim": 128, "count": '"$count"', "degree": 32, "build_list": 64, "pq_bytes": 32}'
"$aistor" gen index --dir "$dir/vector-index" --dim 128 --count "$count" --degree 32 \
  --build-list 64 --pq-bytes 32 | tee "$out/index.txt"
graph="$dir/vector-index/graph.index"

aistor_phase() {  # name concurrency threads queue_depth
  cat > "$out/$1.json" <<JSON
{"dir": "$dir", "phases": [
  {"name": "$1", "workload": "vector-search", "duration": "${seconds}s", "index": $index,
   "search_list": 64, "beam_width": $beam, "k": 10, "concurrency": $2, "threads": $3,
   "engine": {"name": "io_uring", "direct": true, "queue_depth": $4}}]}
JSON
  echo "$aistor run $out/$1.json --output $out/$1-report.json" >> "$out/commands.txt"
  "$aistor" run "$out/$1.json" --output "$out/$1-report.json" > /dev/null
}

fio_job() {  # name jobs iodepth batch
  cat > "$out/$1.job" <<JOB
[global]
filename=$graph
rw=randread
bs=4k
direct=1
ioengine=io_uring
iodepth=$3
iodepth_batch_submit=$4
iodepth_batch_complete_min=$4
numjobs=$2
group_reporting=1
time_based=1
runtime=$seconds
norandommap=1
randrepeat=0

[r]
JOB
  echo "fio --output-format=json --output=$out/$1.json $out/$1.job" >> "$out/commands.txt"
  fio --output-format=json --output="$out/$1.json" "$out/$1.job" > /dev/null
}

per_job_depth() {  # the reads aistor kept submitted to the kernel, split over the fio jobs
  "$py" -c "import json,sys; p=json.load(open(sys.argv[1]))['phases'][0];
print(max(1, round(p['achieved_queue_depth'] / int(sys.argv[2]))))" "$1" "$threads"
}

# The reads in flight fio gets: what a calibration run of the high phase kept submitted to the
# kernel (the phase's achieved_queue_depth: each read from its submission to the engine's seeing
# its completion, as fio's iodepth counts). The workload's own reads in flight, from a hop's
# planning to a read's ranking, is larger by aistor's own queueing; the summary shows both.
aistor_phase aistor-calibrate "$conc" "$threads" "$((conc * beam / threads))"
depth=$(per_job_depth "$out/aistor-calibrate-report.json")
# Each aistor run sits between two fio runs and is compared with their mean: drift cancels.
for r in $(seq 1 "$rounds"); do
  fio_job "fio-hop-$r-a" 1 "$beam" "$beam"
  aistor_phase "aistor-qd1-$r" 1 1 "$beam"
  fio_job "fio-hop-$r-b" 1 "$beam" "$beam"
  fio_job "fio-high-$r-a" "$threads" "$depth" 1
  aistor_phase "aistor-high-$r" "$conc" "$threads" "$((conc * beam / threads))"
  fio_job "fio-high-$r-b" "$threads" "$depth" 1
done

"$py" "$(dirname "$0")/vector_search_vs_fio_summary.py" "$out" "$rounds" "$beam" | tee "$out/summary.md"
(cd "$out" && tar -czf runs.tar.gz ./*-report.json fio-*.json ./*.job aistor-*.json index.txt &&
  rm -f ./*-report.json fio-*.json ./*.job aistor-*.json index.txt)
