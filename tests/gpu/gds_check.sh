#!/usr/bin/env bash
# On the GPU machine: build aistor, run the gds engine's test with cuFile's log (cufile.json
# allowing compatibility mode, logging to /tmp/cufile-log). cuFile needs the block device's udev
# properties (ID_FS_USAGE, ID_FS_TYPE) to register a file, even in compatibility mode; a VM
# without a udev database has none. With UDEV_SHIM=1 the script writes that one entry
# (/run/udev/data/b<major>:<minor>, what udev itself would write) and tries again, then runs
# configs/gds-load.json. Output to $OUT (cufile.log, gds-load.json).
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
cat > /tmp/cufile.json <<'JSON'
{ "logging": { "dir": "/tmp/cufile-log", "level": "INFO" },
  "properties": { "allow_compat_mode": true, "use_poll_mode": false } }
JSON
export CUFILE_ENV_PATH_JSON=/tmp/cufile.json
build-gpu/tests/aistor_tests --gtest_filter='*Gds*' 2>&1 | tail -8
if [ "${UDEV_SHIM:-0}" = 1 ]; then
  dev=$(findmnt -no MAJ:MIN -T /var/tmp | tr -d ' ')
  mkdir -p /run/udev/data
  [ -e "/run/udev/data/b$dev" ] || printf 'E:ID_FS_USAGE=filesystem\nE:ID_FS_TYPE=%s\n' \
    "$(findmnt -no FSTYPE -T /var/tmp)" > "/run/udev/data/b$dev"
  echo "udev entry b$dev: $(tr '\n' ' ' < "/run/udev/data/b$dev")"
  build-gpu/tests/aistor_tests --gtest_filter='*Gds*' 2>&1 | tail -4
  build-gpu/apps/aistor run configs/gds-load.json --dir /var/tmp/aistor-gds \
    --output "$out/gds-load.json" || true
fi
grep -v "^$" /tmp/cufile-log/* 2>/dev/null | grep -E "NOTICE|ERROR|WARN" | head -40 | tee "$out/cufile.log"
