#!/usr/bin/env bash
# The main job: install what is missing, build a release aistor, run configs/quickstart.json.
# Extra arguments go to `aistor run` (e.g. --dir /mnt/nvme/aistor-data --output my.json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release -DAISTOR_TESTS=OFF >/dev/null
cmake --build --preset release --target aistor
exec build/release/apps/aistor run configs/quickstart.json --output aistor-report.json "$@"
