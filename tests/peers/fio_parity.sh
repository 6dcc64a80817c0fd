#!/usr/bin/env bash
# aistor vs fio parity check: thin wrapper around fio_parity.py (see tests/peers/README.md).
#   tests/peers/fio_parity.sh [--aistor PATH] [--dir DIR] [--size 2GiB] [--runtime 10]
#                             [--pairs 3] [--out DIR] [--jobs a,b] [--cached] [--quick] ...
# Exit status: 0 all runs completed (goals may still be missed; see summary.md),
#              1 an aistor or fio run failed, 2 bad usage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v python3 >/dev/null || { echo "fio_parity.sh: python3 is required" >&2; exit 2; }
exec python3 "$here/fio_parity.py" "$@"
