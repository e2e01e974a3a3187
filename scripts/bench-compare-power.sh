#!/usr/bin/env bash
# bench-compare-power.sh [N] - measures `soakctl compare` at its DEFAULT
# settings (--repeat 5, 15 s runs, 2 s warm-up, interleaved; the run is the
# unit, docs/compare-gate.md) on this machine:
#   1. the A/A false-positive rate: N compares of system vs system; a
#      throughput verdict of better or worse is a false positive (must be
#      <= alpha = 0.05); every other metric with a verdict is counted too;
#   2. the detection rate of a planted slowdown of 5% and of 10%: N compares
#      each of libslowmalloc.so without a delay (tests/helpers: glibc's
#      malloc behind the shim) vs the same shim with a busy-wait of
#      SOAK_TEST_MALLOC_DELAY_NS on every SOAK_TEST_MALLOC_DELAY_EVERY-th
#      malloc, the average delay calibrated here to 5% / 10% of random_mixed's
#      throughput (at ~20 ns per operation a delay on every call would be
#      shorter than the clock read that times it); both sides run the same
#      shim, so the delay is the only difference. Detected = throughput
#      verdict "worse"; the median change shows the slowdown actually planted.
# Prints the machine's load and time, each compare's verdict and change, and
# a Markdown table for docs/compare-gate.md with the machine time it cost.
# Root, after scripts/build.sh (BUILD_DIR=dir picks another build). N defaults
# to 20 (>= 20 as the issue asks). SETS picks the experiments and their sizes
# (default "aa p10 p5", each N compares; e.g. SETS="p10:20 p5:10").
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
B=$PWD/${BUILD_DIR:-build}
S=$B/runner/soakctl
LIB=$B/tests/libslowmalloc.so
[ -x "$S" ] && [ -f "$LIB" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups, perf counters)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-power.XXXXXX)
trap 'rm -rf "$W"' EXIT
DB=$W/power.db
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# The machine is shared: every line records its load and CPU pressure.
load() { printf 'load %s on %s cpus, cpu pressure %s' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" \
  "$(sed -n 's/^some avg10=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu)"; }
say "start: $(uname -n) $(uname -r), $(load)"
T0=$(date +%s)

# ---- calibrate the shim on random_mixed's throughput ----
tp_of() { # tp_of JSON: mean throughput of the run
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['runs'][0]['throughput']['mean_ops_s'])" "$1"; }
declare -a base=()
for i in 1 2 3; do
  "$S" run --db "$DB" -w random_mixed -d 15s --warmup 2s --no-progress -q -l calib
  "$S" report --db "$DB" --latest --format json > "$W/c.json"
  base+=("$(tp_of "$W/c.json")")
done
TP=$(printf '%s\n' "${base[@]}" | sort -g | sed -n 2p)   # median of 3
# random_mixed: an op is one malloc or one free, about half each, so a delay
# of d per malloc adds d/2 per op: slowdown s = (d/2) / (T + d/2), d = 2 T s / (1 - s).
# A wait of WAIT ns on every EVERY-th malloc: EVERY = WAIT / d.
WAIT=2000
every_for() { python3 -c "import sys; tp,s,w=map(float,sys.argv[1:]); T=1e9/tp; d=2*T*s/(1-s); print(max(1,round(w/d)))" "$TP" "$1" "$WAIT"; }
E5=$(every_for 0.05); E10=$(every_for 0.10)
D5="$WAIT/$E5"; D10="$WAIT/$E10"
say "system random_mixed median $TP ops/s (runs: ${base[*]}): a $WAIT ns wait every $E5 (5%) / $E10 (10%) mallocs"
cat > "$W/soak.ini" <<INI
[allocator.slow0]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=0

[allocator.slow5]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$WAIT SOAK_TEST_MALLOC_DELAY_EVERY=$E5

[allocator.slow10]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$WAIT SOAK_TEST_MALLOC_DELAY_EVERY=$E10
INI

# one_compare BASE CAND: runs a compare at default settings, prints
# "verdict change_pct wall_s other_false" (other_false: metrics other than
# throughput with a better/worse verdict).
one_compare() {
  local t0=$SECONDS
  "$S" compare --db "$DB" --config "$W/soak.ini" "$1" "$2" -w random_mixed --no-progress -q \
    --format json --output "$W/cmp.json" 2>> "$W/compare.err"
  python3 - "$W/cmp.json" $((SECONDS - t0)) <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
g = [x for x in j["allocators"] if not x["baseline"]][0]
v = g["verdicts"]
tp = v["throughput"]
other = sum(1 for k, x in v.items() if k != "throughput" and x["verdict"] in ("better", "worse"))
ch = tp.get("change")
print(tp["verdict"], "nan" if ch is None else f"{ch:+.2f}", sys.argv[2], other)
PY
}

run_set() { # run_set NAME CAND COUNT [BASE]: COUNT compares, prints each into $W/NAME
  : > "$W/$1"
  for i in $(seq 1 "$3"); do
    r=$(one_compare "${4:-system}" "$2")
    echo "$r" >> "$W/$1"
    say "$1 $i/$3: $r ($(load))"
  done
}
for set in ${SETS:-aa p10 p5}; do
  name=${set%%:*}; n=$N; [ "$set" != "$name" ] && n=${set#*:}
  case $name in
    aa) run_set aa system "$n" ;;
    p10) run_set p10 slow10 "$n" slow0 ;;
    p5) run_set p5 slow5 "$n" slow0 ;;
    *) echo "SETS: unknown experiment $name (aa, p10, p5)" >&2; exit 2 ;;
  esac
done
T1=$(date +%s)

python3 - "$W" "$N" "$D5" "$D10" "$TP" "$((T1 - T0))" <<'PY'
import sys
w, n, d5, d10, tp, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6])
import os
def rows(name):
    p = f"{w}/{name}"
    return [l.split() for l in open(p) if l.strip()] if os.path.exists(p) else []
aa, p10, p5 = rows("aa"), rows("p10"), rows("p5")
fp = sum(r[0] in ("better", "worse") for r in aa)
fp_other = sum(int(r[3]) > 0 for r in aa)
det = lambda rs: sum(r[0] == "worse" for r in rs)
med = lambda rs: sorted(float(r[1]) for r in rs if r[1] != "nan")[len(rs) // 2] if rs else float("nan")
mean_wall = lambda rs: sum(int(r[2]) for r in rs) / max(len(rs), 1)
print()
print("| Experiment | Compares | Throughput verdicts better/worse | Rate | Median change | Wall time per compare |")
print("|---|---|---|---|---|---|")
if aa: print(f"| A/A system vs system | {len(aa)} | {fp} | {fp / max(len(aa),1):.0%} (must be <= 5%) | {med(aa):+.2f}% | {mean_wall(aa):.0f} s |")
if p10: print(f"| planted 10% (wait {d10} ns/malloc, vs the shim without wait) | {len(p10)} | {det(p10)} worse | {det(p10) / max(len(p10),1):.0%} detected (must be >= 80%) | {med(p10):+.2f}% | {mean_wall(p10):.0f} s |")
if p5: print(f"| planted 5% (wait {d5} ns/malloc, vs the shim without wait) | {len(p5)} | {det(p5)} worse | {det(p5) / max(len(p5),1):.0%} detected | {med(p5):+.2f}% | {mean_wall(p5):.0f} s |")
print()
print(f"A/A compares with a better/worse verdict on any other metric: {fp_other} of {len(aa)}.")
print(f"System random_mixed throughput {tp:.0f} ops/s; total machine time {secs // 60} min {secs % 60} s.")
PY
say "end: $(load)"
