#!/usr/bin/env bash
# On the GPU machine (shared/device.md): build aistor with the CUDA parts, run the test suite and
# the quickstart, and show what the report says about the GPUs. Results go to $OUT (or ./gpu-out).
# Needs liburing's .debs in .deps/ (apt-get download liburing2 liburing-dev), carried along.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
mkdir -p "$out" /tmp/deps
for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
lib=/tmp/deps/usr/lib/x86_64-linux-gnu
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR=/tmp/deps LD_LIBRARY_PATH="$lib"
{
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  uname -a
  nvidia-smi --query-gpu=name,memory.total,pcie.link.gen.max,pcie.link.width.max --format=csv || true
} | tee "$out/machine.txt"
cmake -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISTOR_MICROBENCH=OFF \
  -DCMAKE_CUDA_ARCHITECTURES=90 > "$out/configure.log" 2>&1 || { cat "$out/configure.log"; exit 1; }
grep "aistor:" "$out/configure.log" || true
cmake --build build-gpu -j "$(nproc)" > "$out/build.log" 2>&1 || { tail -50 "$out/build.log"; exit 1; }
(cd build-gpu && ctest -j 8 --output-on-failure -E schema) > "$out/ctest.log" 2>&1 || true
tail -5 "$out/ctest.log"
build-gpu/apps/aistor engines --dir /tmp | tee "$out/engines.txt"
build-gpu/apps/aistor run configs/quickstart.json --dir /tmp/aistor-data \
  --output "$out/quickstart-gpu.json" | tee "$out/quickstart.txt"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('host.gpus:', r['host']['gpus'], r['host'].get('gpu_note',''))" "$out/quickstart-gpu.json"
