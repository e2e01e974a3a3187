#!/usr/bin/env bash
# Builds soak into BUILD_DIR (default build/). SOAK_SANITIZE=1 builds with ASan+UBSan.
# Warnings are errors (-DSOAK_WERROR=ON) in every build made by this script (dev
# and CI); SOAK_CMAKE_ARGS adds CMake arguments, e.g. "-DCMAKE_BUILD_TYPE=Release".
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
san=OFF; [ "${SOAK_SANITIZE:-0}" = 1 ] && san=ON
cmake -S . -B "$dir" -DSOAK_SANITIZE=$san -DSOAK_WERROR=ON ${SOAK_CMAKE_ARGS:-} >/dev/null
cmake --build "$dir" -j"$(nproc)"
