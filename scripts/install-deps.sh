#!/usr/bin/env bash
# Installs what aistor needs on Debian 12 (as root, or through sudo), only what is missing.
# Usage: scripts/install-deps.sh [--tests] [--fuzz] [--peers]
#   --tests  also what the test suite needs (python3-jsonschema; OpenMPI for the mpirun tests;
#            Chromium, which renders the HTML report in a test; and what --fuzz installs)
#   --fuzz   clang and its libFuzzer runtime (scripts/fuzz.sh)
#   --peers  also the peer tools the comparison scripts run (fio; PyTorch for the DataLoader and
#            torch.save peers)
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config git liburing-dev libfmt-dev
          nlohmann-json3-dev libgtest-dev libbenchmark-dev zlib1g-dev)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=(python3 python3-jsonschema python3-prometheus-client libopenmpi-dev openmpi-bin chromium clang fio
                        libclang-rt-14-dev) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --peers) packages+=(fio python3 python3-torch) ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
