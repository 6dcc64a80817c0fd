#!/usr/bin/env bash
# aistor's GGUF writer checked by an independent reader: Hugging Face's GGUF parser (npm
# @huggingface/gguf, installed into a scratch directory from the npm registry when absent) reads
# the files `aistor gen model --format gguf` writes; its tensor count, where the tensor data
# starts, the architecture's hyperparameters and the tokenizer's sizes must equal what aistor
# wrote and `aistor inspect` reports.
# Usage: tests/peers/gguf_with_js.sh [AISTOR] [DIR] [OUT]
set -euo pipefail
aistor="${1:-build/release/apps/aistor}"
dir="${2:-aistor-data/ggufjs}"
out="${3:-results/model-files/$(date -u +%Y%m%dT%H%M%SZ)-gguf-js}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out" "$dir"
BENCH_COMMAND="$0 $*"
. "$(dirname "$0")/machine_txt.sh"
write_machine_txt "$out/machine.txt" "$dir" "node: $(node --version)"
js="$dir/js"
if [ ! -d "$js/node_modules/@huggingface/gguf" ]; then
  mkdir -p "$js" && (cd "$js" && npm init -y > /dev/null && npm install --silent @huggingface/gguf@0.4)
fi
cp "$here/tests/fixtures/gguf_read_with_js.mjs" "$js/"
status=0
# preset, scale, dtype, and what the file must say: arch, layers, hidden, heads, kv heads, vocab
while read -r preset scale dtype arch layers hidden heads kv vocab; do
  f="$dir/$preset-$dtype.gguf"
  "$aistor" gen model --preset "$preset" --scale "$scale" --format gguf --dtype "$dtype" \
    --out "$f" --force < /dev/null >> "$out/gen.txt"
  name="$preset-$dtype"
  "$aistor" inspect "$f" --json < /dev/null > "$out/$name.aistor.json"
  abs="$(realpath "$f")"
  (cd "$js" && node gguf_read_with_js.mjs "$abs") < /dev/null > "$out/$name.js.json"
  /usr/bin/python3 - "$out/$name.aistor.json" "$out/$name.js.json" "$name" "$arch" "$layers" \
    "$hidden" "$heads" "$kv" "$vocab" >> "$out/compare.txt" <<'PY' || status=1
import json, sys
a, j = (json.load(open(p)) for p in sys.argv[1:3])
name, arch = sys.argv[3], sys.argv[4]
layers, hidden, heads, kv, vocab = (int(x) for x in sys.argv[5:10])
m = j["metadata"]
checks = {
    "tensors": a["tensors"] == j["tensors"],
    "tensor data offset": a["header_bytes"] == j["tensor_data_offset"],
    "architecture": m.get("general.architecture") == arch,
    "block_count": m.get(f"{arch}.block_count") == layers,
    "embedding_length": m.get(f"{arch}.embedding_length") == hidden,
    "head_count": m.get(f"{arch}.attention.head_count") == heads,
    "head_count_kv": m.get(f"{arch}.attention.head_count_kv") == kv,
    "tokens": m.get("tokenizer.ggml.tokens", {}).get("count") == vocab,
    "token_type": m.get("tokenizer.ggml.token_type", {}).get("count") == vocab,
}
bad = [k for k, ok in checks.items() if not ok]
print(f"{name}: {j['tensors']} tensors, header {j['tensor_data_offset']} bytes, "
      f"{len(m) - 3} metadata keys, vocab {vocab}: " + ("SAME" if not bad else "DIFFER: " + ", ".join(bad)))
sys.exit(1 if bad else 0)
PY
done <<'EOF_MODELS'
7b 0.04 Q4_K qwen2 1 3584 28 4 152064
32b 0.02 Q6_K qwen2 1 5120 40 8 152064
llama2-7b 0.03 Q8_0 llama 1 4096 32 32 32000
EOF_MODELS
cat "$out/compare.txt"
rm -f "$dir"/*.gguf
exit "$status"
