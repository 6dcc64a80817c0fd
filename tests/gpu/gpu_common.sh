# Sourced by the GPU machine's scripts, run from the repository root.
#   gpu_machine_txt FILE DATA COMMAND  records the command, commit, date, machine, CPU, target
#                                      filesystem, GPUs and torch/safetensors versions
#   safetensors_round FILE             safetensors.load_file(FILE, device="cuda") 3 x cold, then
#                                      3 x warm after a warm-up: one JSON line each, with "cache"
#   build_gpu [TARGET]                 unpacks liburing from the .debs carried in .deps/, builds
#                                      aistor with the CUDA parts (Release, sm_90) in build-gpu (all,
#                                      or only TARGET) and sets $aistor; logs in /tmp/gpu-logs
gpu_machine_txt() {
  local file="$1" data="$2" command="$3"
  {
    echo "command: $command"
    # The device machine gets the working tree, not always its history: pass COMMIT=... from here.
    echo "commit: ${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
    echo "date: $(date -u +%FT%TZ)"
    uname -a
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
    echo "target: $(findmnt -no SOURCE,FSTYPE,OPTIONS -T "$data")"
    nvidia-smi --query-gpu=name,memory.total,pcie.link.gen.max,pcie.link.width.max,driver_version \
      --format=csv || true
    python3 -c 'import torch, safetensors; print("torch", torch.__version__, "safetensors", safetensors.__version__)' || true
  } | tee "$file"
}

build_gpu() {
  mkdir -p /tmp/deps /tmp/gpu-logs
  local f
  for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
  local lib=/tmp/deps/usr/lib/x86_64-linux-gnu
  export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR=/tmp/deps LD_LIBRARY_PATH="$lib"
  cmake -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DAISTOR_MICROBENCH=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90 > /tmp/gpu-logs/configure.log 2>&1 ||
    { cat /tmp/gpu-logs/configure.log; exit 1; }
  grep "aistor:" /tmp/gpu-logs/configure.log || true
  cmake --build build-gpu -j "$(nproc)" ${1:+--target $1} > /tmp/gpu-logs/build.log 2>&1 ||
    { tail -50 /tmp/gpu-logs/build.log; exit 1; }
  aistor=build-gpu/apps/aistor
}

# cuFile registers a file only when udev's database says the file's block device holds a
# filesystem (ID_FS_USAGE); these VMs have no udev database, so without this entry every gds
# test and phase fails with cuFile error 5027, its message naming the missing entry
# (tests/gpu/gds_check.sh shows both ways).
#   cufile_udev_entry DIR   writes the one entry udev itself would write for DIR's block device
cufile_udev_entry() {
  local dev
  dev=$(findmnt -no MAJ:MIN -T "$1" | tr -d ' ')
  mkdir -p /run/udev/data
  [ -e "/run/udev/data/b$dev" ] || printf 'E:ID_FS_USAGE=filesystem\nE:ID_FS_TYPE=%s\n' \
    "$(findmnt -no FSTYPE -T "$1")" > "/run/udev/data/b$dev"
  echo "udev entry b$dev: $(tr '\n' ' ' < "/run/udev/data/b$dev")"
}

safetensors_round() {
  local i
  for i in 1 2 3; do
    sync && echo 3 > /proc/sys/vm/drop_caches
    python3 tests/peers/gpu_load_peer.py load "$1" | sed 's/^{/{"cache": "cold", /'
  done
  cat "$1" > /dev/null
  python3 tests/peers/gpu_load_peer.py load "$1" > /dev/null  # warm-up
  for i in 1 2 3; do
    python3 tests/peers/gpu_load_peer.py load "$1" | sed 's/^{/{"cache": "warm", /'
  done
}
