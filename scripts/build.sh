#!/usr/bin/env bash
# Builds soak into BUILD_DIR (default build/). SOAK_SANITIZE=1 builds with ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
san=OFF; [ "${SOAK_SANITIZE:-0}" = 1 ] && san=ON
cmake -S . -B "$dir" -DSOAK_SANITIZE=$san >/dev/null
cmake --build "$dir" -j"$(nproc)"
