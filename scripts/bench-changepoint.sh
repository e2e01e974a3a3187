#!/usr/bin/env bash
# False-alarm rate and power of the change-point test (reports/changepoint.c)
# on synthetic series: stationary (no change) and with a planted 10% drop in
# the newest three points. Usage: scripts/bench-changepoint.sh [SERIES] [SEED] [window|permutation]
# (after scripts/build.sh). Prints a Markdown table (docs/nightly.md quotes it).
set -euo pipefail
B=${BUILD_DIR:-build}
exec "$B/tests/cp_false_alarm" "${1:-1000}" "${2:-1}" "${3:-window}"
