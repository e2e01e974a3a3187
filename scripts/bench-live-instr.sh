#!/usr/bin/env bash
# What the bytes_live adds cost random_mixed in instructions, measured
# without noise: valgrind's cachegrind counts the instructions a worker runs
# (Ir). Per build (BUILD_DIR, and BUILD_DIR-nolive built with
# -DSOAK_BENCH_NO_LIVE=ON, as scripts/bench-live-bytes.sh makes it), two runs
# of different lengths give the marginal instructions per operation (the
# slope of Ir over ops: start-up cancels). Prints both and their difference:
# the instructions the counters add per operation. Instructions are not time
# (the adds may overlap with the allocator's work), but unlike throughput on
# a shared host they are the same in every run.
# usage: scripts/bench-live-instr.sh [BUILD_DIR (default build-rel)]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-rel}
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
for b in "$B" "$B-nolive"; do
  [ -x "$b/workloads/soak-worker" ] || { echo "no $b/workloads/soak-worker: run scripts/bench-live-bytes.sh once (it builds both)" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/soak-live-instr.XXXXXX); trap 'rm -rf "$tmp"' EXIT
# ir BUILD DURATION: "Ir ops" of one run under cachegrind
ir() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$1/workloads/soak-worker" random_mixed --duration "$2" > "$tmp/out" 2> "$tmp/err"
  printf '%s %s\n' "$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$tmp/err" | tr -d ,)" \
    "$(awk '$1 == "ops" { print $2 }' "$tmp/out")"
}
echo "# random_mixed (1 thread) under cachegrind, runs of 1 s and 3 s; $(date -u +%FT%TZ)"
for b in "$B" "$B-nolive"; do
  echo "$b $(ir "$b" 1s) $(ir "$b" 3s)"
done > "$tmp/runs"
python3 - "$tmp/runs" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
per = {}
for name, ir1, op1, ir3, op3 in rows:
    per[name] = (int(ir3) - int(ir1)) / (int(op3) - int(op1))
    print(f"{name}: {per[name]:.2f} instructions per operation")
on, off = per[rows[0][0]], per[rows[1][0]]
print(f"bytes_live adds: {on - off:+.2f} instructions per operation ({100 * (on - off) / off:+.2f}%)")
PY
