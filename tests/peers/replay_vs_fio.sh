#!/usr/bin/env bash
# Record and replay, measured (issue 28's goals), in one run:
#  1. Round trips: a raw random mix, a samples epoch and a checkpoint save, each recorded with
#     `trace` and replayed `afap` through the same engine on the same files, ROUNDS times: the
#     replay's op count, bytes and pattern (its request-size histogram included) must equal the
#     recording's, its throughput within 5 % of the mean of the two recordings around the replays
#     (the disk drifts; medians of the rounds). The phases are storage-bound
#     (O_DIRECT, cold; ImageNet-like samples): a replay reproduces the I/O, not the CPU work a
#     workload does between its ops (a samples epoch's record parsing, a checkpoint's content
#     generation), which on cached data or small records is what bounds the recording. Each round
#     also replays at the recorded times (`original`), which keeps those gaps.
#  2. Fidelity: a 50,000-op trace of 4 KiB random reads (a fio iolog v3 this script writes) at
#     10k, 50k and 100k ops/s, replayed by aistor with `timing: original` (pread, and io_uring at
#     queue depth 16), and by fio's read_iolog (psync, timestamps honoured): the issue lag of every
#     op, p50/p99/max. aistor's is its own `issue_lag`, from the phase's start; fio's is measured by
#     tests/peers/issue_times.c preloaded into fio (the time of each pread), from fio's first read —
#     a start fio is given for free. fio's own logs cannot show it (millisecond timestamps, and
#     write_iolog is refused while replaying).
#  3. Against fio, as fast as possible: a 1,000,000-op trace of the same reads (cached; the 50,000
#     op one with O_DIRECT) replayed `afap` by aistor and by fio (`replay_no_stall=1`): pread against psync, io_uring against io_uring at depth 16, on cached
#     data and with O_DIRECT; each aistor run between two fio runs, ROUNDS times, medians.
# For a steady device: DIR on tests/peers/ram_device.sh's RAM-backed ext4 (label the results so).
# Usage: tests/peers/replay_vs_fio.sh [AISTOR] [DIR] [OUT]
# Environment: RT_ROUNDS (11, round trips), LAG_ROUNDS (3, fidelity), ROUNDS (5, against fio).
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/replay-bench}"
out="${3:-results/replay-vs-fio/$(date -u +%Y%m%dT%H%M%SZ)}"
rounds="${ROUNDS:-5}"
rt_rounds="${RT_ROUNDS:-11}"
lag_rounds="${LAG_ROUNDS:-3}"
py=/usr/bin/python3
mkdir -p "$out" "$dir/traces"
dir="$(cd "$dir" && pwd)"
out="$(cd "$out" && pwd)"
BENCH_COMMAND="ROUNDS=$rounds RT_ROUNDS=$rt_rounds LAG_ROUNDS=$lag_rounds $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "fio: $(fio --version)"
gcc -O2 -shared -fPIC -o "$dir/issue_times.so" "$(dirname "$0")/issue_times.c" -ldl

run_aistor() {  # name config-json
  echo "$2" > "$out/$1.json"
  echo "$aistor run $out/$1.json --output $out/$1-report.json" >> "$out/commands.txt"
  "$aistor" run "$out/$1.json" --output "$out/$1-report.json" > /dev/null
}

# 1. Round trips: the recording and its replay in one config, same engine, same directory.
roundtrip() {  # name phase-json engine-json [replay's cache policy] [the second recording's keys]
  local r
  for r in $(seq 1 "$rt_rounds"); do
    # A checkpoint save starts in a directory of its own: one that replaces the last save's 1 GiB
    # frees its extents in the rename, a namespace op no trace holds.
    [ "$1" != checkpoint ] || rm -rf "$dir/checkpoint" "$dir/checkpoint-again"
    run_aistor "rt-$1-$r" '{"dir": "'"$dir"'", "phases": [
      '"${2%\}}"', "name": "recorded", "engine": '"$3"', "trace": "'"$dir/traces/$1.trace"'"},
      {"name": "replayed", "workload": "replay", "source": "'"$dir/traces/$1.trace"'",
       "cache": "'"${4:-as-is}"'", "engine": '"$3"'},
      {"name": "on-time", "workload": "replay", "source": "'"$dir/traces/$1.trace"'",
       "timing": "original", "cache": "'"${4:-as-is}"'", "engine": '"$3"'},
      '"${2%\}}"', "name": "recorded-again", "engine": '"$3"', '"${5:-}"'
       "trace": "'"$dir/traces/$1-again.trace"'"}]}'
  done
}
roundtrip raw '{"workload": "raw", "rw": "randrw", "rwmixread": 70, "block_size": "4KiB",
  "size": "256MiB", "io_size": "128MiB", "cache": "cold"}' \
  '{"name": "io_uring", "queue_depth": 16, "direct": true}' cold
roundtrip samples '{"workload": "samples", "dataset": {"preset": "imagenet", "scale": 0.005,
  "format": "tfrecord"}, "epochs": 1, "batch_size": 64, "read_threads": 2, "accelerators": 1,
  "compute": "0ms", "cache": "cold"}' '{"name": "io_uring", "queue_depth": 32, "direct": true}' cold
roundtrip checkpoint '{"workload": "checkpoint", "size": "1GiB", "parallel": {"dp": 1},
  "cache": "as-is"}' '{"name": "io_uring", "queue_depth": 8, "direct": true}' as-is \
  '"checkpoint_dir": "checkpoint-again",'

# 2 and 3: 50,000 random 4 KiB reads of one 256 MiB file at a given rate, as a fio iolog v3.
mkdir -p "$dir/replayed"
data="$dir/replayed/replay-data.bin"  # the iologs name it relative: fio runs there, aistor's phase is there
[ -f "$data" ] || "$py" -c "
import os,sys
with open(sys.argv[1],'wb') as f:
    for _ in range(256): f.write(os.urandom(1<<20))" "$data"
cat "$data" > /dev/null  # cached (fio runs with invalidate=0): the replays measure themselves
iolog() {  # rate ops out
  "$py" -c "
import random,sys
rate=int(sys.argv[1]); n=int(sys.argv[2]); random.seed(7); out=open(sys.argv[3],'w')
f='replay-data.bin'
out.write(f'fio version 3 iolog\n0 {f} add\n0 {f} open\n')
for i in range(n):
    out.write(f'{i*1000000//rate} {f} read {random.randrange(65536)*4096} 4096\n')
out.write(f'{n*1000000//rate} {f} close\n')" "$@"
}
for rate in 10000 50000 100000; do iolog "$rate" 50000 "$dir/traces/rate-$rate.log"; done
# As fast as possible, a million ops: fio reports its runtime in milliseconds.
iolog 100000 1000000 "$dir/traces/afap.log"

replay_phase() {  # trace timing engine-json
  echo '{"dir": "'"$dir/replayed"'", "phases": [{"name": "replay", "workload": "replay",
    "source": "'"$1"'", "timing": "'"$2"'", "cache": "as-is", "engine": '"$3"'}]}'
}
fio_replay() {  # name trace engine iodepth direct no_stall [preload]
  local env=()
  [ "${7:-}" = "" ] || env=(env "ISSUE_TIMES_OUT=$out/$1.issue" "LD_PRELOAD=$dir/issue_times.so")
  # invalidate=0: fio would drop the file from the page cache first.
  echo "(cd $dir/replayed && ${env[*]} fio --name=r --thread --invalidate=0 --read_iolog=$2 --ioengine=$3 --iodepth=$4 --direct=$5 --replay_no_stall=$6 --output-format=json --output=$out/$1.fio.json)" >> "$out/commands.txt"
  (cd "$dir/replayed" && "${env[@]}" fio --name=r --thread --invalidate=0 --read_iolog="$2" \
    --ioengine="$3" --iodepth="$4" \
    --direct="$5" --replay_no_stall="$6" --output-format=json --output="$out/$1.fio.json" > /dev/null)
}
for r in $(seq 1 "$lag_rounds"); do
  for rate in 10000 50000 100000; do
    t="$dir/traces/rate-$rate.log"
    run_aistor "lag-$rate-pread-$r" "$(replay_phase "$t" original '{"name": "pread"}')"
    run_aistor "lag-$rate-uring-$r" \
      "$(replay_phase "$t" original '{"name": "io_uring", "queue_depth": 16}')"
    fio_replay "lag-$rate-fio-$r" "$t" psync 1 0 0 preload
  done
done

for r in $(seq 1 "$rounds"); do
  for kind in pread uring direct; do
    t="$dir/traces/afap.log"
    case $kind in
      pread) e='{"name": "pread"}'; fe=(psync 1 0) ;;
      uring) e='{"name": "io_uring", "queue_depth": 16}'; fe=(io_uring 16 0) ;;
      direct) e='{"name": "io_uring", "queue_depth": 16, "direct": true}'; fe=(io_uring 16 1)
              t="$dir/traces/rate-100000.log" ;;  # 50,000 ops: the disk's pace, not the cache's
    esac
    fio_replay "afap-$kind-$r-a" "$t" "${fe[@]}" 1
    run_aistor "afap-$kind-$r" "$(replay_phase "$t" afap "$e")"
    fio_replay "afap-$kind-$r-b" "$t" "${fe[@]}" 1
  done
done
"$py" "$(dirname "$0")/replay_vs_fio_summary.py" "$out" "$rounds" "$rt_rounds" "$lag_rounds" |
  tee "$out/summary.md"
# What stays in results/: the summary, command lines, machine, and every config and report packed
# in one archive (fio's per-op issue times, 11 MB, are summarised above and left out).
(cd "$out" && ls | grep -v -e '^summary.md$' -e '^machine.txt$' -e '^commands.txt$' -e '\.issue$' |
  tar -cJf raw.tar.xz -T - --remove-files && rm -f ./*.issue)
