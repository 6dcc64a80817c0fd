#!/usr/bin/env bash
# On the GPU machine (it has torch and safetensors): build aistor, write model files of every
# format with `aistor gen model`, and read them back with the reference readers
# (tests/peers/model_file_peer.py). Output to $OUT/model-files.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
mkdir -p "$out" /tmp/deps /var/tmp/aistor-models
for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
lib=/tmp/deps/usr/lib/x86_64-linux-gnu
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR=/tmp/deps LD_LIBRARY_PATH="$lib"
cmake -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISTOR_MICROBENCH=OFF -DAISTOR_TESTS=OFF \
  -DCMAKE_CUDA_ARCHITECTURES=90 > /dev/null
cmake --build build-gpu -j "$(nproc)" --target aistor > /dev/null
a=build-gpu/apps/aistor
d=/var/tmp/aistor-models
$a gen model --preset 7b --scale 0.08 --out $d/qwen7b.safetensors
$a gen model --preset llama2-7b --scale 0.07 --dtype F16 --out $d/llama.safetensors
$a gen model --preset 7b --scale 0.08 --format gguf --out $d/qwen7b.gguf
python3 tests/peers/model_file_peer.py $a $d/qwen7b.safetensors $d/llama.safetensors $d/qwen7b.gguf |
  tee "$out/model-files.jsonl"
