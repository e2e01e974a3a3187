#!/usr/bin/env bash
# bench-compare-power.sh [N] - measures `soakctl compare` at its DEFAULT
# settings (reports/compare.h: --repeat 24 interleaved rounds of 3 s runs, 0.5 s
# warm-up; the run is the unit, docs/compare-gate.md) on this machine, with N
# (default 20) four-way compares of random_mixed:
#     slow0   slow0   slow5   slow10
# all behind the same LD_PRELOAD shim (tests/helpers/libslowmalloc.c: glibc's
# malloc plus a busy-wait of SOAK_TEST_MALLOC_DELAY_NS on every
# SOAK_TEST_MALLOC_DELAY_EVERY-th malloc), slow0 without a wait. Against the
# first slow0 (the baseline) each compare gives three verdicts (PLANT5=0 leaves
# slow5 out: three-way compares, a third less machine time):
#   1. A/A: the second slow0 - a throughput verdict of better or worse is a
#      false positive (the rate must be <= alpha = 0.05);
#   2. a planted 5% and 3. a planted 10% slowdown - detected = "worse".
# The average wait per malloc is calibrated here on slow0's own throughput:
# random_mixed's operations are half malloc, half free, so a wait of d per
# malloc adds d/2 per operation: slowdown s = (d/2) / (T + d/2). The median
# change over the compares shows the slowdown actually planted.
# Prints the machine's load per compare and a Markdown table for
# docs/compare-gate.md with the machine time it cost. Root, after
# scripts/build.sh (BUILD_DIR=dir picks another build).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
PLANT5=${PLANT5:-1}
B=$PWD/${BUILD_DIR:-build}
S=$B/cli/soakctl
LIB=$B/tests/libslowmalloc.so
[ -x "$S" ] && [ -f "$LIB" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups, perf counters)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-power.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
DB=$W/power.db
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# The machine is shared: every line records its load and CPU pressure.
load() { printf 'load %s on %s cpus, cpu pressure %s' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" \
  "$(sed -n 's/^some avg10=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu)"; }
say "start: $(uname -n) $(uname -r), $(load)"
T0=$(date +%s)

# ---- calibrate the wait on the shim's own throughput ----
cat > "$W/soak.ini" <<INI
[allocator.slow0]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=0
INI
tp_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['runs'][0]['throughput']['mean_ops_s'])" "$1"; }
declare -a base=()
for i in 1 2 3; do
  "$S" run --db "$DB" --config "$W/soak.ini" -a slow0 -w random_mixed -d 6s --warmup 1s --no-progress -q -l calib
  "$S" report --db "$DB" --latest --format json > "$W/c.json"
  base+=("$(tp_of "$W/c.json")")
done
TP=$(printf '%s\n' "${base[@]}" | sort -g | sed -n 2p)   # median of 3
WAIT=2000
every_for() { python3 -c "import sys; tp,s,w=map(float,sys.argv[1:]); T=1e9/tp; d=2*T*s/(1-s); print(max(1,round(w/d)))" "$TP" "$1" "$WAIT"; }
E5=$(every_for 0.05); E10=$(every_for 0.10)
say "slow0 random_mixed median $TP ops/s (runs: ${base[*]}): a $WAIT ns wait every $E5 (5%) / $E10 (10%) mallocs"
cat >> "$W/soak.ini" <<INI

[allocator.slow5]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$WAIT SOAK_TEST_MALLOC_DELAY_EVERY=$E5

[allocator.slow10]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$WAIT SOAK_TEST_MALLOC_DELAY_EVERY=$E10
INI

# One four-way compare at the default settings; appends "verdict change" per
# experiment to $W/aa, $W/p5, $W/p10, and the other metrics' better/worse
# verdicts of the A/A column to $W/aa_other.
: > "$W/aa"; : > "$W/p5"; : > "$W/p10"; : > "$W/aa_other"
for i in $(seq 1 "$N"); do
  t0=$SECONDS
  # shellcheck disable=SC2046
  "$S" compare --db "$DB" --config "$W/soak.ini" slow0 slow0 $([ "$PLANT5" = 1 ] && echo slow5) slow10 -w random_mixed --no-progress -q \
    --format json --output "$W/cmp.json" 2>> "$W/compare.err"
  python3 - "$W" $((SECONDS - t0)) <<'PY'
import json, sys
w, secs = sys.argv[1], sys.argv[2]
j = json.load(open(f"{w}/cmp.json"))
g = {x["name"]: x for x in j["allocators"]}
def line(name):
    tp = g[name]["verdicts"]["throughput"]
    ch = tp.get("change")
    return f'{tp["verdict"]} {"nan" if ch is None else f"{ch:+.2f}"} {secs}'
for exp, name in (("aa", "slow0#2"), ("p5", "slow5"), ("p10", "slow10")):
    if name in g:
        open(f"{w}/{exp}", "a").write(line(name) + "\n")
other = [k for k, x in g["slow0#2"]["verdicts"].items() if k != "throughput" and x["verdict"] in ("better", "worse")]
open(f"{w}/aa_other", "a").write(" ".join(other) + "\n")
print(f'A/A {line("slow0#2")}; 5% {line("slow5") if "slow5" in g else "-"}; 10% {line("slow10")}; A/A other: {" ".join(other) or "-"}')
PY
  say "compare $i/$N: $(tail -c 300 "$W/aa" >/dev/null; python3 -c "
import sys; w=sys.argv[1]
print(' | '.join(e+': '+(open(w+'/'+e).read().splitlines() or ['-'])[-1] for e in ('aa','p5','p10')))" "$W") ($(load))"
done
T1=$(date +%s)

python3 - "$W" "$N" "$E5" "$E10" "$WAIT" "$TP" "$((T1 - T0))" "$PLANT5" <<'PY'
import sys
w, n, e5, e10, wait, tp, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), int(sys.argv[7])
ncols = 4 if sys.argv[8] == "1" else 3
rows = lambda name: [l.split() for l in open(f"{w}/{name}") if l.strip()]
aa, p10, p5 = rows("aa"), rows("p10"), rows("p5")
other = [l.split() for l in open(f"{w}/aa_other")]
fp = sum(r[0] in ("better", "worse") for r in aa)
det = lambda rs: sum(r[0] == "worse" for r in rs)
med = lambda rs: sorted(float(r[1]) for r in rs if r[1] != "nan")[len(rs) // 2] if rs else float("nan")
wall = sum(int(r[2]) for r in aa) / max(len(aa), 1)
print()
cols = "slow0 slow0 slow5 slow10" if ncols == 4 else "slow0 slow0 slow10"
print(f"{ncols}-way compares ({cols}, {n} of them), {wall:.0f} s of machine time each "
      f"({wall * 2 / ncols:.0f} s for a two-allocator compare at the defaults):")
print()
print("| Experiment | Compares | Throughput verdicts | Rate | Median change |")
print("|---|---|---|---|---|")
print(f"| A/A (slow0 vs slow0) | {len(aa)} | {fp} better/worse | {fp / max(len(aa),1):.0%} false positives (must be <= 5%) | {med(aa):+.2f}% |")
print(f"| planted 10% (a {wait} ns wait every {e10} mallocs) | {len(p10)} | {det(p10)} worse | {det(p10) / max(len(p10),1):.0%} detected (must be >= 80%) | {med(p10):+.2f}% |")
if p5:
    print(f"| planted 5% (a {wait} ns wait every {e5} mallocs) | {len(p5)} | {det(p5)} worse | {det(p5) / max(len(p5),1):.0%} detected | {med(p5):+.2f}% |")
print()
no = sum(1 for o in other if o)
print(f"A/A compares with a better/worse verdict on another metric: {no} of {len(other)} "
      f"({', '.join(sorted({m for o in other for m in o})) or 'none'}).")
print(f"slow0 random_mixed throughput {tp:.0f} ops/s; total machine time {secs // 60} min {secs % 60} s.")
PY
say "end: $(load)"
