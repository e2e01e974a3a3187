#!/usr/bin/env bash
# A test allocator that busy-waits SOAK_TEST_MALLOC_DELAY_NS in every malloc
# is reported slower than system with the right sign and roughly the right
# ratio; the gate does not mix the two allocators' runs (another series: exit
# 2, named), and a label's baseline is the gated run's own series.
source "$(dirname "$0")/lib.sh"
for c in compare gate; do
  "$SOAKCTL" $c --help >/dev/null 2>&1 \
    || fail "soakctl has no '$c' command (add it to the command table in cli/main.c)"
done
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built (tests/helpers/libslowmalloc.c)"
DELAY=200
cat > "$T/soak.ini" <<INI
[allocator.slow]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$DELAY
INI
# The run is compare's unit (docs/compare-gate.md): 4 runs each, the fewest
# that can give a verdict at alpha 0.05.
soak compare system slow --config "$T/soak.ini" -w random_mixed -d 5s -i 200ms --warmup 1s --repeat 4 \
  --label slowtest --db "$DB" --no-progress -q --format json --output "$T/c.json" \
  || fail "compare exited $?"
# random_mixed alternates malloc and free on each slot, so half the operations
# are mallocs: the delay adds DELAY/2 ns per operation to system's ns/op.
python3 - "$T/c.json" $DELAY <<'PY' || fail "slow allocator not reported as expected"
import json, sys
j = json.load(open(sys.argv[1])); delay = float(sys.argv[2])
a = {x["name"]: x for x in j["allocators"]}
sys_tp = a["system"]["figures"]["throughput"]; slow_tp = a["slow"]["figures"]["throughput"]
v = a["slow"]["verdicts"]["throughput"]
ns_sys, ns_slow = 1e9 / sys_tp, 1e9 / slow_tp
expect_ratio = ns_sys / (ns_sys + delay / 2)
ratio = slow_tp / sys_tp
added = ns_slow - ns_sys
print(f"system {ns_sys:.1f} ns/op, slow {ns_slow:.1f} ns/op: ratio {ratio:.3f} "
      f"(expected ~{expect_ratio:.3f}; added {added:.0f} ns/op, expected {delay/2:.0f} "
      f"+ the busy-wait clock reads); verdict {v['verdict']} {v['reason']}")
assert v["verdict"] == "worse", v
assert v["change"] < 0 and v["ci"][1] < 0, v
# The delay is a minimum (the busy-wait never returns early); it overshoots by
# the clock reads of its loop (~25 ns each here: 200 ns costs ~240 ns) and by
# the noise of a shared machine, so allow 0.8x to 2.5x of DELAY/2 per op.
assert 0.8 * delay / 2 <= added <= 2.5 * delay / 2, added
PY
sys_id=$(q "select max(id) from runs where allocator_name='system'")
slow_id=$(q "select max(id) from runs where allocator_name='slow'")
# The gate compares a series with its own baseline runs (docs/compare-gate.md):
# the system run is another series than the slow one (the allocator differs),
# so it is skipped, named, and the gate cannot be evaluated (exit 2); telling
# two allocators apart is compare's job, done above. (Before, the gate
# compared the slow run's blocks of intervals with the system run's and failed
# it: a verdict from one run of each side.)
rc=0
soak gate --db "$DB" --baseline "$sys_id" --junit "$T/junit.xml" "$slow_id" > "$T/gate.out" || rc=$?
cat "$T/gate.out"
[ $rc = 2 ] || fail "gate of the slow run against a system run exited $rc, expected 2"
grep -q "^ERROR slow-$slow_id baseline_throughput: cannot evaluate: the baseline has 0 runs of this series, need 3 .*skipped 1 run of another series (allocator system, not slow)" \
  "$T/gate.out" || fail "the system run is not named as another series"
xmllint --noout --schema "$SOAK_SRC/tests/fixtures/gate/junit.xsd" "$T/junit.xml" \
  || fail "the JUnit file does not validate"
# A label as the baseline: its runs of the gated run's series, never the run
# itself (compare's repeats: system's 3 other runs), the other allocator's
# runs skipped and counted.
rc=0
soak gate --db "$DB" --baseline slowtest "$sys_id" > "$T/gate2.out" || rc=$?
grep -q "baseline_throughput: .*baseline: 3 finished runs of the series in --baseline slowtest:.*skipped 4 runs of another series (allocator slow, not system)" \
  "$T/gate2.out" || { cat "$T/gate2.out"; fail "the label's baseline for system is not system's 3 other runs"; }
assert_no_cgroups
pass "slow allocator: worse throughput; the gate keeps each series to its own baseline"
