#!/usr/bin/env bash
# Installs dependencies, builds, runs the default soak (random_mixed under the
# system allocator, about a minute, 256 MiB memory limit) and prints its report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
db=${SOAK_DB:-demo.db}
./build/runner/soakctl run --db "$db" --workload random_mixed --allocator system \
  --duration 60s --warmup 5s --interval 1s --memory-max 256M --label demo
./build/runner/soakctl report --db "$db" --latest
