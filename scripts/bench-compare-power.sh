#!/usr/bin/env bash
# bench-compare-power.sh [N] - measures `soakctl compare` at its DEFAULT
# settings (--repeat 5, 15 s runs, 2 s warm-up, interleaved; the run is the
# unit, docs/compare-gate.md) on this machine:
#   1. the A/A false-positive rate: N compares of system vs system; a
#      throughput verdict of better or worse is a false positive (must be
#      <= alpha = 0.05); every other metric with a verdict is counted too;
#   2. the detection rate of a planted slowdown of 5% and of 10%: N compares
#      each of system vs libslowmalloc.so (tests/helpers: glibc's malloc plus
#      a busy-wait of SOAK_TEST_MALLOC_DELAY_NS per malloc), the delay
#      calibrated here to 5% / 10% of random_mixed's throughput; detected =
#      throughput verdict "worse".
# Prints the machine's load and time, each compare's verdict and change, and
# a Markdown table for docs/compare-gate.md with the machine time it cost.
# Root, after scripts/build.sh (BUILD_DIR=dir picks another build). N defaults
# to 20 (>= 20 as the issue asks).
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
delay_for() { python3 -c "import sys; tp,s=map(float,sys.argv[1:]); T=1e9/tp; print(round(2*T*s/(1-s)))" "$TP" "$1"; }
D5=$(delay_for 0.05); D10=$(delay_for 0.10)
say "system random_mixed median $TP ops/s (runs: ${base[*]}): delay 5% = $D5 ns, 10% = $D10 ns per malloc"
cat > "$W/soak.ini" <<INI
[allocator.slow5]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$D5

[allocator.slow10]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$D10
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

run_set() { # run_set NAME CAND: N compares, prints each and a summary line into $W/NAME
  : > "$W/$1"
  for i in $(seq 1 "$N"); do
    r=$(one_compare system "$2")
    echo "$r" >> "$W/$1"
    say "$1 $i/$N: $r ($(load))"
  done
}
run_set aa system
run_set p10 slow10
run_set p5 slow5
T1=$(date +%s)

python3 - "$W" "$N" "$D5" "$D10" "$TP" "$((T1 - T0))" <<'PY'
import sys
w, n, d5, d10, tp, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6])
def rows(name):
    return [l.split() for l in open(f"{w}/{name}") if l.strip()]
aa, p10, p5 = rows("aa"), rows("p10"), rows("p5")
fp = sum(r[0] in ("better", "worse") for r in aa)
fp_other = sum(int(r[3]) > 0 for r in aa)
det = lambda rs: sum(r[0] == "worse" for r in rs)
med = lambda rs: sorted(float(r[1]) for r in rs if r[1] != "nan")[len(rs) // 2] if rs else float("nan")
mean_wall = lambda rs: sum(int(r[2]) for r in rs) / max(len(rs), 1)
print()
print("| Experiment | Compares | Throughput verdicts better/worse | Rate | Median change | Wall time per compare |")
print("|---|---|---|---|---|---|")
print(f"| A/A system vs system | {len(aa)} | {fp} | {fp / max(len(aa),1):.0%} (must be <= 5%) | {med(aa):+.2f}% | {mean_wall(aa):.0f} s |")
print(f"| planted 10% (delay {d10} ns/malloc) | {len(p10)} | {det(p10)} worse | {det(p10) / max(len(p10),1):.0%} detected (must be >= 80%) | {med(p10):+.2f}% | {mean_wall(p10):.0f} s |")
print(f"| planted 5% (delay {d5} ns/malloc) | {len(p5)} | {det(p5)} worse | {det(p5) / max(len(p5),1):.0%} detected | {med(p5):+.2f}% | {mean_wall(p5):.0f} s |")
print()
print(f"A/A compares with a better/worse verdict on any other metric: {fp_other} of {len(aa)}.")
print(f"System random_mixed throughput {tp:.0f} ops/s; total machine time {secs // 60} min {secs % 60} s.")
PY
say "end: $(load)"
