#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang + ASan + UBSan: the fuzz preset) and runs each on
# its seed corpus, for a time or a number of executions, one target per core at a time.
# Usage: scripts/fuzz.sh [--time SECONDS | --runs N] [--log DIR] [TARGET...]
#   targets: config tfrecord ffrecord safetensors gguf arrow vector_index trace (default all); --time 60 by default.
#   --log DIR keeps each target's libFuzzer output (DIR/<target>.log) and a summary (DIR/summary.txt).
# Exit 1 when a target finds a crash, a leak, a timeout or an escaped exception (the input is kept
# under build/fuzz/findings/<target>/), 0 when every target ran clean.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-max_total_time=60)
log=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) mode=(-max_total_time="$2"); shift 2 ;;
    --runs) mode=(-runs="$2"); shift 2 ;;
    --log) log="$2"; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(config tfrecord ffrecord safetensors gguf arrow vector_index trace)

scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

work=build/fuzz/run
rm -rf "$work"
mkdir -p "$work" build/fuzz/findings
[ -z "$log" ] || mkdir -p "$log"
run_one() {
  local t="$1" out="$work/$1.log"
  local corpus="$work/corpus-$t" findings="build/fuzz/findings/$t"
  mkdir -p "$corpus" "$findings"
  local seeds=(tests/fuzz/corpus/"$t")
  [ "$t" != config ] || seeds+=(configs)
  local dict=()
  [ ! -f tests/fuzz/"$t".dict ] || dict=(-dict=tests/fuzz/"$t".dict)
  local rc=0
  build/fuzz/tests/fuzz/fuzz_"$t" "${mode[@]}" "${dict[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "${seeds[@]}" >"$out" 2>&1 || rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
  local cov
  cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 || true)
  local verdict="clean"
  [ "$rc" -eq 0 ] || verdict="FINDING (exit $rc, see $out and $findings)"
  echo "$t: ${execs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs: $verdict" \
    >"$work/$t.summary"
  [ -z "$log" ] || cp "$out" "$log/$t.log"
  return "$rc"
}
jobs=$(nproc)
failed=0
pids=()
for t in "${targets[@]}"; do
  [ -x build/fuzz/tests/fuzz/fuzz_"$t" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
for t in "${targets[@]}"; do cat "$work/$t.summary"; done | tee "${log:-$work}/summary.txt"
exit "$failed"
