#!/usr/bin/env bash
# What the memory-efficiency counters cost the workload (docs/metrics.md):
# random_mixed's throughput with
#   usable  bytes_usable counted (--usable-bytes: a malloc_usable_size call per
#           malloc and per free), and
#   stats   the allocator's statistics queried every 100 ms (--alloc-stats
#           100: the fastest period the runner ever uses), and
#   live    bytes_live counted, as always (an add per malloc and per free in
#           the hot loop), against a worker built without those adds
#           (-DSOAK_BENCH_NO_LIVE=ON, in BUILD_DIR-nolive, built here if absent)
# against the same without, in paired, interleaved rounds per allocator. Each
# round runs off, on, off (ABA, which cancels a linear drift of the host); the
# round's ratio is TP(on) / mean(TP(off)); the two off runs give an A/A ratio,
# the noise any cost must be read against. The worker runs standalone (its
# own summary gives ops per wall second and per CPU second; the CPU-second
# figure counts the statistics thread's CPU too and is the steadier one on a
# shared machine).
# usage: scripts/bench-live-bytes.sh [ROUNDS (default 5)] [DURATION (default 3s)] [BUILD_DIR (default build-rel)]
#        ALLOCS="system jemalloc" (default) chooses the allocators, COUNTERS="usable stats live"
#        (default) the counters.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
dur=${2:-3s}
B=${3:-build-rel}
case $B in /*) ;; *) B=$PWD/$B ;; esac
W=$B/workloads/soak-worker
S=$B/cli/soakctl
[ -x "$W" ] || { echo "no $W: build it first (scripts/build.sh)" >&2; exit 1; }
W0=$B-nolive/workloads/soak-worker
if [ ! -x "$W0" ]; then
  BUILD_DIR=$B-nolive SOAK_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release -DSOAK_BENCH_NO_LIVE=ON" \
    scripts/build.sh > /dev/null || { echo "building $B-nolive failed" >&2; exit 1; }
fi
tmp=$(mktemp -d /tmp/soak-livebytes.XXXXXX); trap 'rm -rf "$tmp"' EXIT
echo "# random_mixed (1 thread), $dur per run, $rounds rounds of off/on/off; $(nproc) CPUs;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for a in ${ALLOCS:-system jemalloc}; do
  lib=
  [ "$a" = system ] || lib=$("$S" allocators | awk -v n="$a" '$1 == n && $2 == "ok" { print $3 }')
  [ "$a" = system ] || [ -n "$lib" ] || { echo "allocator $a does not resolve" >&2; exit 1; }
  for what in ${COUNTERS:-usable stats live}; do
    flag=--usable-bytes; [ $what = stats ] && flag="--alloc-stats 100"; [ $what = live ] && flag=
    for r in $(seq 1 "$rounds"); do
      for slot in a b c; do
        f=; [ $slot = b ] && f=$flag
        w=$W; [ $what = live ] && [ $slot != b ] && w=$W0
        # shellcheck disable=SC2086
        LD_PRELOAD=$lib "$w" random_mixed --duration "$dur" $f > "$tmp/$a.$what.$r$slot"
      done
    done
  done
done
COUNTERS="${COUNTERS:-usable stats live}" python3 - "$tmp" "$rounds" ${ALLOCS:-system jemalloc} <<'PY'
import math, os, re, statistics as st, sys
d, rounds, allocs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def tp(path):
    m = re.search(r"\(([\d.]+) M ops/s, ([\d.]+) M ops/cpu-s\)", open(path).read())
    return float(m.group(1)), float(m.group(2))
def ci(x):
    if len(x) < 2:
        return float("nan")
    t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26}.get(len(x), 2.0)
    return t * st.stdev(x) / math.sqrt(len(x))
print("| allocator | counter | off (M ops/cpu-s) | on (M ops/cpu-s) | on / off (cpu-s) | on / off (wall) | A/A (cpu-s) |")
print("|---|---|---|---|---|---|---|")
for a in allocs:
    for what in os.environ["COUNTERS"].split():
        rc, rw, aa, offs, ons = [], [], [], [], []
        for r in range(1, rounds + 1):
            x, y, z = (tp(f"{d}/{a}.{what}.{r}{s}") for s in "abc")
            rc.append(y[1] / ((x[1] + z[1]) / 2))
            rw.append(y[0] / ((x[0] + z[0]) / 2))
            aa.append(z[1] / x[1])
            offs += [x[1], z[1]]
            ons.append(y[1])
        print(f"| {a} | {what} | {st.mean(offs):.2f} | {st.mean(ons):.2f} | {st.mean(rc):.4f} ± {ci(rc):.4f} "
              f"| {st.mean(rw):.4f} ± {ci(rw):.4f} | {st.mean(aa):.4f} ± {ci(aa):.4f} |")
print("\nratios: mean ± 95% CI over the rounds; a cost is 1 - ratio.")
PY
