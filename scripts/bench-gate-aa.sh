#!/usr/bin/env bash
# bench-gate-aa.sh [N] [K[,K...]] - measures how often `soakctl gate` fails an
# UNCHANGED allocator on its baseline checks (docs/compare-gate.md, "The
# baseline: runs of the same series"): N trials (default 10), each 5 baseline
# runs labelled nightly-i and max(K) (default 3) gated runs labelled rc-i of
# the same allocator (system), random_mixed, 3 s runs with a 0.5 s warm-up,
# interleaved (rc, nightly, rc, nightly, ...) so the host's drift hits both
# alike. Each trial is one gate per K (a list such as 1,3 gives one table
# row per K from the same runs): `gate RC-IDS --baseline nightly-i` with the
# trial's first K gated runs.
# A baseline check that FAILs is a false failure: with Holm over the checks
# at family alpha 0.05 the gates with any must be <= 5% (the t model holds
# only roughly: the rate is measured, not assumed). Prints every trial's
# baseline outcomes and the machine's load, then the counts per outcome.
# Root, after scripts/build.sh (BUILD_DIR=dir picks another build).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10}
KS=${2:-3}
KMAX=$(tr ',' '\n' <<< "$KS" | sort -n | tail -1)
B=$PWD/${BUILD_DIR:-build}
S=$B/cli/soakctl
[ -x "$S" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups, perf counters)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-gate-aa.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
DB=$W/aa.db
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
load() { printf 'load %s on %s cpus' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"; }
run() { "$S" run --db "$DB" -w random_mixed -d 3s -i 200ms --warmup 0.5s --label "$1" --no-progress -q > /dev/null; }
say "start: $(uname -n), $(load); $N trials of 5 baseline runs vs K = $KS gated runs"
declare -A count=() gates_failed=()
for i in $(seq 1 "$N"); do
  for j in $(seq 1 $(( KMAX > 5 ? KMAX : 5 ))); do
    [ "$j" -gt "$KMAX" ] || run "rc-$i"
    [ "$j" -gt 5 ] || run "nightly-$i"
  done
  for K in ${KS//,/ }; do
    ids=$(sqlite3 -batch -noheader "$DB" "select id from runs where label = 'rc-$i' order by id limit $K" | tr '\n' ' ')
    rc=0
    # shellcheck disable=SC2086
    "$S" gate --db "$DB" $ids --baseline "nightly-$i" > "$W/out" 2>&1 || rc=$?
    line=$(sed -n 's/^\([A-Z]*\) *[a-z]*-[0-9]* \(baseline_[a-z0-9_]*\): \(.\{0,60\}\).*/\2 \1 \3/p' "$W/out" |
      tr '\n' '|')
    grep -q "^FAIL  [a-z]*-[0-9]* baseline_" "$W/out" && gates_failed[$K]=$(( ${gates_failed[$K]:-0} + 1 ))
    for st in $(sed -n 's/^\([A-Z]*\) *[a-z]*-[0-9]* baseline_.*/\1/p' "$W/out"); do
      count[$K.$st]=$(( ${count[$K.$st]:-0} + 1 ))
    done
    say "trial $i/$N, K = $K: exit $rc | $line $(load)"
  done
done
say "end: $(load)"
echo
echo "| Trials | Gated runs | Gates with a failed baseline check | Baseline checks: pass / undecided / fail / other |"
echo "|---|---|---|---|"
for K in ${KS//,/ }; do
  other=$(( ${count[$K.ERROR]:-0} + ${count[$K.SKIP]:-0} ))
  echo "| $N | $K | ${gates_failed[$K]:-0} | ${count[$K.PASS]:-0} / ${count[$K.UNDECIDED]:-0} / ${count[$K.FAIL]:-0} / $other |"
done
