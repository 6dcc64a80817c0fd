#!/usr/bin/env bash
# On the GPU machine (16 cores, its own disk, mpirun): every workload across MPI ranks where
# there are cores for them. Builds (MPI found or not is in the configure line), runs the mpirun
# tests, then configs/ranks.json under mpirun with 1, 4 and 8 ranks (the checkpoint's dp set to the
# rank count), each followed by its ranks table. Results in $OUT (or ./gpu-out): machine.txt,
# tests.log, ranks-N.json (the reports), ranks-N.txt (summary and ranks table per run).
# Needs liburing's .debs in .deps/, carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
data="${DATA:-/var/tmp/aistor-ranks}"
mkdir -p "$out" "$data" /tmp/gpu-logs
. tests/gpu/gpu_common.sh
gpu_machine_txt "$out/machine.txt" "$data" "tests/gpu/ranks_on_gpu.sh"
mpirun --version | head -1 | tee -a "$out/machine.txt"
build_gpu
build-gpu/tests/aistor_tests --gtest_filter='Mpi*:RankRows*:RanksTable*' > "$out/tests.log" 2>&1 ||
  true
grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/tests.log" || true
for n in ${RANKS:-1 4 8}; do
  rm -rf "$data/run"
  mpirun --allow-run-as-root --oversubscribe -np "$n" "$aistor" run configs/ranks.json \
    --dir "$data/run" --set "phases.5.parallel.dp=$n" --set "phases.6.parallel.dp=$n" \
    --output "$out/ranks-$n.json" > "$out/ranks-$n.txt" 2>&1 || echo "ranks $n: exit $?"
  $aistor report --table ranks "$out/ranks-$n.json" >> "$out/ranks-$n.txt" 2>&1 || true
  echo "== $n ranks"
  head -12 "$out/ranks-$n.txt"
done
rm -rf "$data/run"
