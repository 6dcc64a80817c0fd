#!/usr/bin/env bash
# On the GPU machine: build aistor, run the gds engine's test with cuFile's own log, without and
# with a cufile.json that allows compatibility mode, then `aistor engines`. Output to $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-out}"
mkdir -p "$out" /tmp/deps /tmp/cufile-log
for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
lib=/tmp/deps/usr/lib/x86_64-linux-gnu
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR=/tmp/deps LD_LIBRARY_PATH="$lib"
cmake -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISTOR_MICROBENCH=OFF \
  -DCMAKE_CUDA_ARCHITECTURES=90 > /dev/null 2>&1 || exit 1
cmake --build build-gpu -j "$(nproc)" --target aistor aistor_tests > /dev/null 2>&1 || exit 1
ls /etc/cufile.json /usr/local/cuda/gds 2>&1 | head -5
lsmod 2>/dev/null | grep -i nvidia || true
build-gpu/tests/aistor_tests --gtest_filter='*Gds*' 2>&1 | tail -8
cat > /tmp/cufile.json <<'JSON'
{ "logging": { "dir": "/tmp/cufile-log", "level": "INFO" },
  "properties": { "allow_compat_mode": true, "use_poll_mode": false } }
JSON
export CUFILE_ENV_PATH_JSON=/tmp/cufile.json
build-gpu/tests/aistor_tests --gtest_filter='*Gds*' 2>&1 | tail -8
cat /tmp/cufile-log/* 2>/dev/null | grep -v "^$" | head -40 | tee "$out/cufile.log"
cat cufile.log 2>/dev/null | head -20
