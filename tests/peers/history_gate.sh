#!/usr/bin/env bash
# The history gate against the pairwise compare gate on generated histories of 60 nightly reports
# (issue 29's second goal): tests/peers/history_gate.py says how. Nights are generated from the
# skeleton of the nightly baseline report, once per seed (SEEDS, five by default: the goal must
# hold for any draw of the noise, not one); OUT/seed-N/ holds each, OUT/summary.md all.
# Usage: tests/peers/history_gate.sh [AISTOR] [OUT]     Environment: SEEDS ("20261207 1 2 3 4").
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
out="${2:-results/history-gate/$(date -u +%Y%m%dT%H%M%SZ)}"
seeds="${SEEDS:-20261207 1 2 3 4}"
mkdir -p "$out"
BENCH_COMMAND="SEEDS=\"$seeds\" $0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$out"
status=0
{
  echo "# History gate vs pairwise compare: $(echo $seeds | wc -w) generated histories"
  echo
  for s in $seeds; do
    /usr/bin/python3 "$(dirname "$0")/history_gate.py" "$aistor" \
      results/nightly/baseline-20261202T193342Z/report.json "$out/seed-$s" "$s" > /dev/null || status=1
    echo "## seed $s"
    tail -n +5 "$out/seed-$s/summary.md"
    echo
  done
} > "$out/summary.md"
cat "$out/summary.md"
exit "$status"
