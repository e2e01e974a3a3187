#!/usr/bin/env bash
# bench-gate-power.sh [N] [LOSS[,LOSS...]] [M] [K] - measures how often
# `soakctl gate --until-decided --max-runs M` (default M = 4; M = 0: one
# plain gate, no runs added) of K planted runs (default K = 1) detects a
# planted throughput loss, and the machine time the runs it added took
# (docs/compare-gate.md, "Undecided: run more"). The plant: allocator "cand"
# is an LD_PRELOAD shim (tests/helpers/libslowmalloc.c) that busy-waits
# 2000 ns every E mallocs; E is set from a first unplanted run's time per
# operation so that random_mixed (half its operations are mallocs) loses
# about LOSS percent (default 10,5); the loss measured is printed beside it
# (the wait loop's own clock reads add to it). Per loss, N trials (default
# 10): 5 baseline runs labelled nightly-L-i of the unplanted shim and K
# planted runs labelled rc-L-i, interleaved (baseline, candidate, baseline,
# candidate, ...), then one gate of rc-L-i against nightly-L-i that adds runs
# of the candidate until decided (M > 0). random_mixed, 3 s runs, 0.5 s warm-up.
# Only the baseline checks are on (a thresholds file turns the runs' own
# CV and drift checks off). Prints each trial's outcome, then per loss: its
# baseline_throughput check detected (FAIL) / undecided at the end / passed, the mean runs added and their mean machine time.
# PLANT=p99 plants a tail instead of a loss: 1 in 25 mallocs, at random,
# spins SPIN iterations (default 70, about 40 ns here: the gates of 10
# trials measured p99 growths of +10% to +33%, median +21%; 100 gave +24%
# to +47%), and the check counted is
# baseline_latency_p99 (LOSS is then only the row's name).
# Root, after scripts/build.sh (BUILD_DIR=dir picks another build).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10}
LOSSES=${2:-10,5}
M=${3:-4}
K=${4:-1}
B=$PWD/${BUILD_DIR:-build}
S=$B/cli/soakctl
LIB=$B/tests/libslowmalloc.so
[ -x "$S" ] && [ -f "$LIB" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups, perf counters)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-gate-power.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
DB=$W/power.db
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
load() { printf 'load %s on %s cpus' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"; }
PLANT=${PLANT:-loss}
case $PLANT in loss) CHECK=baseline_throughput;; p99) CHECK=baseline_latency_p99;;
  *) echo "PLANT must be loss or p99" >&2; exit 2;; esac
ini() { printf '[allocator.cand]\npath = %s\nenv = %s\n' "$LIB" "$2" > "$W/$1.ini"; }
run() { "$S" run --db "$DB" --config "$W/$1.ini" --allocator cand -w random_mixed -d 3s -i 200ms \
  --warmup 0.5s --label "$2" --no-progress -q > /dev/null; }
tp_of() { "$S" report --db "$DB" --format json "$1" | python3 -c \
  'import json,sys; print(json.load(sys.stdin)["runs"][0]["throughput"]["mean_ops_s"])'; }
say "start: $(uname -n), $(load); $N trials per loss of $LOSSES%, K = $K planted runs, --max-runs $M"
ini base "SOAK_TEST_MALLOC_DELAY_NS=0"
# Only the baseline checks decide here: a run's own checks (CV, drifts) failing
# on this host's noise would stop the sequence with nothing learnt.
printf '[gate]\ncv_max_pct = off\ntp_drift_min_pct = off\nrss_drift_max_pct = off\n' > "$W/gate.ini"
run base calibrate
ns=$(python3 -c "import sys; print(1e9 / float(sys.argv[1]))" "$(tp_of 1)")
declare -A det=() und=() pas=() added=() secs=() meas=()
for L in ${LOSSES//,/ }; do
  # added per op = 0.5 * 2000 / E ns = ns * L / (1 - L)  =>  E = 1000 (1 - L) / (ns L)
  every=$(python3 -c "import sys; ns, l = float(sys.argv[1]), float(sys.argv[2]) / 100
print(max(1, round(1000 * (1 - l) / (ns * l))))" "$ns" "$L")
  if [ "$PLANT" = p99 ]; then
    ini "slow-$L" "SOAK_TEST_MALLOC_SPIN=${SPIN:-70} SOAK_TEST_MALLOC_SPIN_ONE_IN=25"
    say "p99 plant ($L): 1 in 25 mallocs spins ${SPIN:-70} iterations"
  else
    ini "slow-$L" "SOAK_TEST_MALLOC_DELAY_NS=2000 SOAK_TEST_MALLOC_DELAY_EVERY=$every"
    say "loss $L%: 2000 ns every $every mallocs (a run took $ns ns per operation)"
  fi
  for i in $(seq 1 "$N"); do
    for j in $(seq 1 $(( K > 5 ? K : 5 ))); do
      [ "$j" -gt 5 ] || run base "nightly-$L-$i"
      [ "$j" -gt "$K" ] || run "slow-$L" "rc-$L-$i"
    done
    until=(); [ "$M" = 0 ] || until=(--until-decided --max-runs "$M")
    rc=0
    "$S" gate --db "$DB" --label "rc-$L-$i" --baseline "nightly-$L-$i" --thresholds "$W/gate.ini" \
      "${until[@]}" > "$W/out" 2>&1 || rc=$?
    [ $rc -le 2 ] || { cat "$W/out"; exit 2; }
    st=$(sed -n "s/^\([A-Z]*\) *[a-z]*-[0-9]* $CHECK: .*/\1/p" "$W/out" | head -1)
    n=$(grep -c '^run [0-9]* of at most' "$W/out" || true)
    t=$(python3 -c '
import re, sys
m = re.search(r"(?:(\d+) h )?(?:(\d+) min )?(\d+) s of runs", open(sys.argv[1]).read())
print(0 if not m else int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60 + int(m.group(3)))' "$W/out")
    ch=$(sed -n "s/^[A-Z]* *[a-z]*-[0-9]* $CHECK: [^:]*: \([-+][0-9.]*%\) .*/\1/p" "$W/out" | head -1)
    case $st in FAIL) det[$L]=$(( ${det[$L]:-0} + 1 ));; UNDECIDED) und[$L]=$(( ${und[$L]:-0} + 1 ));;
                PASS) pas[$L]=$(( ${pas[$L]:-0} + 1 ));; *) cat "$W/out"; exit 2;; esac
    added[$L]=$(( ${added[$L]:-0} + n )); secs[$L]=$(( ${secs[$L]:-0} + t ))
    meas[$L]="${meas[$L]:-}${ch:-?} "
    say "loss $L% trial $i/$N: $CHECK $st, exit $rc, $n runs added ($t s), change $ch | $(load)"
  done
done
say "end: $(load)"
echo
echo "| Planted loss | Trials | Gated runs | Detected (FAIL) | Undecided after $M more | Passed | Mean runs added | Mean machine time added | Measured changes |"
echo "|---|---|---|---|---|---|---|---|---|"
for L in ${LOSSES//,/ }; do
  python3 -c 'import sys; n, a, s = map(int, sys.argv[1:4]); print(f"{a / n:.1f} | {s / n:.0f} s")' \
    "$N" "${added[$L]:-0}" "${secs[$L]:-0}" > "$W/mean"
  echo "| ~$L% | $N | $K | ${det[$L]:-0} | ${und[$L]:-0} | ${pas[$L]:-0} | $(cat "$W/mean") | ${meas[$L]% } |"
done
