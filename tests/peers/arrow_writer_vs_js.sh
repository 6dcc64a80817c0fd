#!/usr/bin/env bash
# aistor's Arrow writer checked by an independent reader: Apache Arrow's JavaScript implementation
# (npm apache-arrow, installed into a scratch directory from the npm registry when absent) reads the
# Hugging Face-shaped datasets `aistor gen dataset --format arrow` writes, and its row counts,
# column types and value bytes must equal what `aistor inspect` reports.
# Usage: tests/peers/arrow_writer_vs_js.sh [AISTOR] [DIR] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/arrowjs}"
out="${3:-results/arrow-writer/$(date -u +%Y%m%dT%H%M%SZ)}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "node: $(node --version)"
js="$dir/js"
if [ ! -d "$js/node_modules/apache-arrow" ]; then
  mkdir -p "$js" && (cd "$js" && npm init -y > /dev/null && npm install --silent apache-arrow@21)
fi
cp "$here/tests/fixtures/arrow/read_with_js.mjs" "$js/"
status=0
for preset in openwebtext imagenet; do
  "$aistor" gen dataset --dir "$dir/$preset" --format arrow --preset "$preset" --scale 0.002 \
    >> "$out/gen.txt"
  for f in "$dir/$preset"/*.arrow; do
    name="$preset-$(basename "$f" .arrow)"
    "$aistor" inspect "$f" --json > "$out/$name.aistor.json"
    abs="$(realpath "$f")"
    (cd "$js" && node read_with_js.mjs "$abs") > "$out/$name.js.json"
    python3 - "$out/$name.aistor.json" "$out/$name.js.json" >> "$out/compare.txt" <<'PY' || status=1
import json, sys
a, j = (json.load(open(p)) for p in sys.argv[1:3])
types = {"Utf8": "utf8", "Binary": "binary", "Int64": "int", "LargeUtf8": "large_utf8",
         "LargeBinary": "large_binary"}
ok = a["rows"] == j["rows"] and a["batches"] == j["batches"]
for ca, cj in zip(a["columns"], j["fields"]):
    ok &= ca["path"] == cj["path"] and ca["type"] == types.get(cj["type"], cj["type"])
    ok &= ca["nulls"] == cj["nulls"]
    if ca["value_bytes"] is not None:
        ok &= ca["value_bytes"] == cj["bytes"]
ok &= len(a["columns"]) == len(j["fields"])
print(f'{a["path"]}: rows {a["rows"]}/{j["rows"]}, batches {a["batches"]}/{j["batches"]}, '
      f'columns {[c["path"] for c in j["fields"]]}, metadata {list(j["metadata"])}: '
      f'{"agree" if ok else "DISAGREE"}')
sys.exit(0 if ok else 1)
PY
  done
done
cat "$out/compare.txt"
exit $status
