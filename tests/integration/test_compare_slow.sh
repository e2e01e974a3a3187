#!/usr/bin/env bash
# A test allocator that busy-waits SOAK_TEST_MALLOC_DELAY_NS in every malloc
# is reported slower than system with the right sign and roughly the right
# ratio, and fails a throughput gate against the system run as baseline; the
# JUnit file names the failing check and validates against the JUnit schema.
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
rc=0
soak gate --db "$DB" --baseline "$sys_id" --junit "$T/junit.xml" --json "$T/g.json" "$slow_id" \
  > "$T/gate.out" || rc=$?
cat "$T/gate.out"
[ $rc = 1 ] || fail "gate of the slow run against system exited $rc, expected 1"
grep -q "^FAIL  slow-$slow_id baseline_throughput: " "$T/gate.out" || fail "no failing baseline_throughput line"
tail -n1 "$T/gate.out" | grep -q "^FAIL: " || fail "last line is not the FAIL summary"
xmllint --noout --schema "$SOAK_SRC/tests/fixtures/gate/junit.xsd" "$T/junit.xml" \
  || fail "the JUnit file does not validate"
python3 - "$T/junit.xml" "$slow_id" <<'PY' || fail "JUnit file does not name the failing throughput check"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
tc = [t for t in root.iter("testcase") if t.get("name") == "baseline_throughput"]
assert tc and tc[0].get("classname") == f"soak.gate.slow-{sys.argv[2]}", tc
f = tc[0].find("failure")
assert f is not None and f.get("type") == "regression", f
for word in ("metric: throughput", "value:", "threshold:", "baseline:", "system #"):
    assert word in f.text, (word, f.text)
PY
# A label as the baseline: the newest run with it, never the run itself, and
# of the same allocator when the label has one (compare's repeats: system's
# own previous run).
rc=0
soak gate --db "$DB" --baseline slowtest "$sys_id" > "$T/gate2.out" || rc=$?
grep -q "baseline_throughput: .*(system #$(q "select max(id) from runs where allocator_name='system' and id < $sys_id"))" \
  "$T/gate2.out" || { cat "$T/gate2.out"; fail "the label's baseline for system is not system's previous run"; }
# A label only the slow runs carry: system is compared with the newest slow run (and is better).
q "update runs set label = 'slowonly' where allocator_name = 'slow'"
rc=0
soak gate --db "$DB" --baseline slowonly "$sys_id" > "$T/gate2.out" || rc=$?
grep -q "baseline_throughput: .*(slow #$slow_id).*better" "$T/gate2.out" \
  || { cat "$T/gate2.out"; fail "system vs slow not better"; }
assert_no_cgroups
pass "slow allocator: worse throughput, gate exit 1 naming baseline_throughput, JUnit valid"
