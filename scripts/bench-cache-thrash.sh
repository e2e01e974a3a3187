#!/usr/bin/env bash
# Does cache_thrash see false sharing? Its op rate under a test allocator
# that puts the threads' small blocks on one cache line (packed) against the
# same allocator giving each thread a line of its own (padded), both
# tests/helpers/libcacheline.so, in interleaved rounds (packed, padded, packed,
# ... so a drift of the host hits both). Prints each run's ops per wall second
# and per CPU second and the median ratio padded / packed: above 1 means the
# workload measures what it exists to measure. A ratio, so a bench, not a
# test. The threads must run at the same time to share a line: on a loaded
# machine (load average at or above the CPU count) the ratio tends to 1.
# usage: scripts/bench-cache-thrash.sh [ROUNDS (default 5)] [DURATION (default 2s)] [BUILD_DIR (default build-rel)]
#        THREADS (default 2), WRITES (default 1000) shape the workload.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
dur=${2:-2s}
B=${3:-build-rel}
case $B in /*) ;; *) B=$PWD/$B ;; esac
W=$B/workloads/soak-worker
L=$B/tests/libcacheline.so
[ -x "$W" ] && [ -f "$L" ] || { echo "no $W or $L: build it first (scripts/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/soak-cachethrash.XXXXXX); trap 'rm -rf "$tmp"' EXIT
threads=${THREADS:-2}
echo "# cache_thrash --threads $threads --writes ${WRITES:-1000}, $dur per run, $rounds rounds;" \
  "$(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for r in $(seq "$rounds"); do
  for m in packed padded; do
    SOAK_TEST_CACHELINE=$m LD_PRELOAD=$L "$W" cache_thrash --threads "$threads" \
      --writes "${WRITES:-1000}" --duration "$dur" > "$tmp/out"
    # ops, wall seconds and CPU seconds from the worker's summary
    ops=$(awk '$1 == "ops" { print $2 }' "$tmp/out")
    read -r secs cpus < <(sed -n 's/^elapsed *\([0-9.]*\) s (cpu \([0-9.]*\) s)/\1 \2/p' "$tmp/out")
    echo "$r $m $(python3 -c "print(f'{$ops / $secs:.0f} {$ops / $cpus:.0f}')")" | tee -a "$tmp/all"
  done
done
python3 - "$tmp/all" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, m, wall, cpu in rows:
    by.setdefault(r, {})[m] = (float(wall), float(cpu))
wall = [v["padded"][0] / v["packed"][0] for v in by.values()]
cpu = [v["padded"][1] / v["packed"][1] for v in by.values()]
print(f"padded/packed ops per wall second: median {statistics.median(wall):.2f} (rounds {', '.join(f'{x:.2f}' for x in wall)})")
print(f"padded/packed ops per CPU second:  median {statistics.median(cpu):.2f} (rounds {', '.join(f'{x:.2f}' for x in cpu)})")
PY
