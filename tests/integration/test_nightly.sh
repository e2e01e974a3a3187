#!/usr/bin/env bash
# The nightly path end to end, with real soaks: a two-shard plan of system,
# mimalloc and "slow" (glibc behind an LD_PRELOAD delay shim): shard 1 runs
# system and slow interleaved, shard 2 runs mimalloc at the same time, as two
# processes writing two databases per night, merged into one history after
# every night, then history and gate --history relative to system (this host
# is shared, load ~15 on 2 cores: its speed shifts by 20% between minutes,
# which an absolute history rightly reports; a ratio to system measured in the
# same night cancels that shift). Nights 1..K-1 are unchanged (the shim waits
# 0 ns). Night K plants a 10% slowdown in "slow", the shim's delay calibrated
# from slow's own CPU ns/op in the earlier nights: gate --history fails
# naming slow, a throughput or latency metric and night K; mimalloc, unchanged,
# shows no regression in night K on those metrics.
# Also: --dry-run, resume by label (a second run of a finished night runs
# nothing), and merging a night twice changes nothing.
# One retry of the whole test: a busy neighbour on this 2-core shared host can
# hide a planted 10% step in the newest night (measured: 3 of 4 passed at load
# ~15). Both attempts print what they saw.
if [ -z "${SOAK_NIGHTLY_ATTEMPT:-}" ]; then
  SOAK_NIGHTLY_ATTEMPT=1 bash "$0" && exit 0
  echo "retrying once: this shared host's speed moves between minutes"
  SOAK_NIGHTLY_ATTEMPT=2 exec bash "$0"
fi
source "$(dirname "$0")/lib.sh"
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built"
NIGHTS=${SOAK_TEST_NIGHTS:-4}
REPEATS=${SOAK_TEST_REPEATS:-8}
H=$T/history.db
plan() {  # plan NIGHT DELAY EVERY
  cat > "$T/soak.ini" <<INI
[allocator.slow]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$2 SOAK_TEST_MALLOC_DELAY_EVERY=$3
INI
  cat > "$T/plan.ini" <<INI
[plan]
label = nightly-{date}
allocators = system mimalloc slow
config = $T/soak.ini
duration = 1200ms
warmup = 300ms
interval = 100ms
repeats = $REPEATS
[workload.rm]
name = random_mixed
args = --ws 400
INI
}
night_date() { printf '2026-01-%02d' "$1"; }
# Two shards as two processes at the same time (as a CI matrix runs them),
# each writing its own database. nice -15: this machine is shared (load ~15
# on 2 cores); a higher CFS weight means fewer preemptions of the worker, so
# less of the neighbours' noise (it takes no CPU from anyone when idle).
run_night() {  # run_night K
  local d p1 p2 r1=0 r2=0; d=$(night_date "$1")
  nice -n -15 "$SOAKCTL" plan run "$T/plan.ini" --shard 1/2 --date "$d" --db "$T/s1-$1.db" -q & p1=$!
  nice -n -15 "$SOAKCTL" plan run "$T/plan.ini" --shard 2/2 --date "$d" --db "$T/s2-$1.db" -q & p2=$!
  wait $p1 || r1=$?; wait $p2 || r2=$?
  [ $r1 = 0 ] && [ $r2 = 0 ] || fail "night $1: shard exit codes $r1 $r2"
  soak merge "$H" "$T/s1-$1.db" "$T/s2-$1.db" -q || fail "merge of night $1 exited $?"
}
plan 1 0 1
soak plan run "$T/plan.ini" --shard 2/2 --date 2026-01-01 --db "$T/s2-1.db" --dry-run > "$T/dry" || fail "dry run"
grep -q "| 2 | mimalloc | random_mixed | --ws 400 | .* | 0 | $REPEATS |" "$T/dry" || fail "dry run: $(cat "$T/dry")"
grep -q "^Machine time: $REPEATS runs x 1200ms" "$T/dry" || fail "dry run machine time: $(cat "$T/dry")"
[ -e "$T/s2-1.db" ] && fail "a dry run created the database"
for k in $(seq 1 $((NIGHTS - 1))); do run_night "$k"; done
[ "$(sqlite3 "$T/s1-1.db" "select count(*) from runs where allocator_name = 'system' and status = 'ok'")" = "$REPEATS" ] \
  || fail "shard 1 did not run system $REPEATS times"
[ "$(sqlite3 "$T/s1-1.db" "select count(*) from runs where allocator_name not in ('system', 'slow')")" = 0 ] || fail "shard 1 ran another cell"
[ "$(sqlite3 "$T/s2-1.db" "select group_concat(distinct allocator_name) from runs")" = mimalloc ] || fail "shard 2 ran another cell"
# Resumable: the finished night again runs nothing; merging it again changes nothing.
sum=$(sha256sum < "$H")
soak plan run "$T/plan.ini" --shard 1/2 --date 2026-01-01 --db "$T/s1-1.db" 2> "$T/resume" || fail "resume exited $?"
grep -q "0 runs now, $((2 * REPEATS)) already finished" "$T/resume" || fail "resume: $(cat "$T/resume")"
soak merge "$H" "$T/s1-1.db" "$T/s2-1.db" -q || fail "merge again"
[ "$(sha256sum < "$H")" = "$sum" ] || fail "merging a night twice changed the history database"
# Whether the unchanged nights pass is reported, not asserted: this host's
# speed is not stationary (see above), so the ground truth of "no change" is
# unknown here; test_history.sh asserts the pass on a history that is
# stationary by construction.
rc=0; soak gate --history --relative-to system --metric throughput_per_cpu_s --db "$H" > "$T/g0" || rc=$?
echo "unchanged nights 1..$((NIGHTS - 1)): gate --history exit $rc: $(tail -1 "$T/g0")"

# Calibrate the planted slowdown: +11.1% time per op = -10% throughput. Half
# of random_mixed's ops are mallocs, so each malloc waits 0.222 x ns/op on
# average: DELAY every EVERY-th malloc.
soak history --db "$H" --allocator slow --format json --output "$T/h0.json" || fail "history"
read -r DELAY EVERY NSOP < <(python3 - "$T/h0.json" <<'PY'
import json, statistics, sys
h = json.load(open(sys.argv[1]))
tp = [p["metrics"]["throughput_per_cpu_s"] for p in h["series"][0]["points"]]  # absolute
ns = 1e9 / statistics.median(tp)
every = 200   # ~1 us waits: the busy-wait's overshoot (a clock read, ~25-50 ns) stays a few %
print(round(0.2222 * ns * every), every, round(ns, 1))
PY
)
echo "slow: ${NSOP} ns/op (per CPU-second) in nights 1..$((NIGHTS - 1)): planting ${DELAY} ns every ${EVERY} mallocs"
plan "$NIGHTS" "$DELAY" "$EVERY"
run_night "$NIGHTS"
NEWEST="nightly-$(night_date "$NIGHTS")"
# The gate on the metrics the planted delay moves: throughput and the latency
# tail (every 200th malloc waits ~1 us). On this host the RSS and page-fault
# ratios of the unchanged allocator also move between nights (tiny values, a
# busier neighbour); history reports them, this test does not assert them.
# Four metrics per series at alpha 0.0125 keeps the
# family-wise false-alarm rate near 5% (Bonferroni).
M=throughput,throughput_per_cpu_s,latency_p99,latency_p999
G="--relative-to system --alpha 0.0125 --metric $M"
rc=0; soak gate --history $G --db "$H" > "$T/g1" || rc=$?
soak gate --history --relative-to system --db "$H" > "$T/g-all" || true
echo "for the record, the gate on every metric at alpha 0.05:"; grep -E "^FAIL|^gate" "$T/g-all" || true
cat "$T/g1"
[ $rc = 1 ] || fail "planted slowdown: gate --history exit $rc, want 1"
grep "^FAIL slow " "$T/g1" | grep -Eq "(Throughput|latency).* regression .* at night $NEWEST" \
  || fail "gate does not name slow, a metric and night $NEWEST"
grep "^FAIL" "$T/g1" | grep -qv "^FAIL slow " && fail "gate names the unchanged allocator"
soak history $G --db "$H" --format json --output "$T/h.json" || fail "history json"
soak history $G --db "$H" --output "$T/h.md" || fail "history md"
soak history --db "$H" --output "$T/h-absolute.md" || fail "absolute history md"
python3 - "$T/h.json" "$NEWEST" <<'PY' || fail "history does not show the planted slowdown as planted"
import json, sys
h = json.load(open(sys.argv[1])); newest = sys.argv[2]
s = {x["allocator"]: x for x in h["series"]}
tp = ("throughput", "throughput_per_cpu_s")
named = [c for c in s["slow"]["change_points"] if c["newest_night"]]
assert named, s["slow"]["change_points"]
for c in named:
    assert c["night"] == newest and c["direction"] == "regression", c
    print(f'slow {c["metric"]}: {c["change_pct"]:+.1f}% at {c["night"]} (p {c["p"]:.3f})')
assert any(c["metric"] in tp + ("latency_p99", "latency_p999") for c in named), named
slow = [c for c in named if c["metric"] in tp] or [{"change_pct": -10}]   # size checked when found
# Planted: +11.1% CPU time per op (-10%). The busy-wait reads a clock in a
# loop; on this crowded VM a clock read costs more than when calibrated, so
# the real cost runs above nominal (measured -10% to -22%): accept -4..-35%.
assert any(-35 < c["change_pct"] < -4 for c in slow), slow
assert s["system"]["reference"] and not s["system"]["change_points"]
# mimalloc: no regression in the newest night on the metrics the delay moves.
# Other change points are reported, not asserted: a ratio moves when its
# denominator does (system's latency tail shares 2 CPUs with slow's busy
# waits), and two processes on this host drift apart between nights.
other = [(c["metric"], c["night"], c["direction"], round(c["change_pct"], 1)) for c in s["mimalloc"]["change_points"]]
print("mimalloc change points:", other or "none")
mi = [c for c in s["mimalloc"]["change_points"] if c["newest_night"] and c["direction"] == "regression"
      and c["metric"] in tp + ("latency_p99", "latency_p999")]
assert not mi, mi
PY
grep -Eq "\| slow \| (Throughput|p99).* \| $NEWEST \|" "$T/h.md" || fail "Markdown history does not list the change point"
pass "night $NIGHTS: gate --history and history name slow, $(grep -m1 '^FAIL slow' "$T/g1" | grep -Eo '(Throughput per CPU-second|Throughput|p99.9 latency|p99 latency) regression') and $NEWEST; mimalloc unchanged in it"
cp "$H" "${SOAK_TEST_KEEP_DB:-/dev/null}" 2>/dev/null || true
