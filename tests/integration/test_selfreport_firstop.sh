#!/usr/bin/env bash
# Self-reported syscalls against measured ones, like for like. An
# allocator counts its own calls from its start; the measured count of the
# whole run starts at exec and includes the dynamic loader's, libc's and the
# suite's own mmaps. The worker marks its first measured operation and the
# runner reads the counters then (first_op.* values), so reports show both
# "whole run (from exec)" and "from the first operation", and flag a
# disagreement only on the like-for-like pair.
# Ground truth: libmmapk.so makes exactly one mmap + munmap pair per K
# allocations and prints pairs=P at exit; with K = 10^7 the worker's few
# allocations before its first operation make no pair, so all P pairs fall
# after the mark: from the first operation the measured mmaps are P (give or
# take the tolerance of 10% + 2), from exec they are P plus start-up.
source "$(dirname "$0")/lib.sh"
cd "$T"
cat > "$T/soak.ini" <<INI
[allocator.mmapk]
path = $SOAK_BUILD/tests/libmmapk.so
env = SOAK_TEST_MMAP_EVERY=10000000

[selfreport.MMAPK]
mmap = pairs
INI
soak run --db "$DB" --config "$T/soak.ini" -a mmapk -w tiny_hot -d 2s -i 250ms --warmup 500ms \
  --no-progress -q || fail "run exited $?"
[ "$(q "select value is not null from run_values where run_id=1 and name='first_op.t_s'")" = 1 ] \
  || fail "no first-operation mark: $(q "select reason from run_values where run_id=1 and name='first_op.t_s'")"
soak report --db "$DB" --format json 1 > "$T/r.json" || fail "report exited $?"
mark=$(q "select cast(value as int) from run_values where run_id=1 and name='first_op.sc_mmap'")
python3 - "$T/r.json" "$mark" <<'PY' || fail "like-for-like self-report (see above)"
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
mark = int(sys.argv[2])
pairs = r["selfreport"]["MMAPK.pairs"]
c = [x for x in r["selfreport_classes"] if x["class"] == "mmap"][0]
whole, from_op = c["measured"], c["measured_from_first_op"]
print(f"self {c['self']:.0f} (pairs {pairs:.0f}); measured from exec {whole:.0f}, at the mark {mark}, "
      f"from the first operation {from_op:.0f}; disagree {c['disagree']} ({c['disagree_basis']}), "
      f"whole run {c['disagree_whole_run']}")
assert pairs >= 1 and c["self"] == pairs
assert whole == r["syscalls"]["by_name"]["mmap"]["run_count"]
assert from_op == whole - mark, "from the first operation is the whole run less the count at the mark"
assert mark >= 10, "the loader, libc and the shm mapping make mmaps before the first operation"
assert abs(from_op - pairs) <= 0.1 * from_op + 2, "from the first operation the mmaps are the allocator's"
assert c["disagree"] is False and c["disagree_basis"] == "from the first operation"
assert c["disagree_whole_run"] is True, "against the whole run the start-up makes them differ"
PY
soak report --db "$DB" 1 > "$T/r.md"
grep -q '^| mmapk #1 | \[MMAPK\] pairs | mmap | [0-9]* | [0-9]* | [0-9]* | agree (from the first operation) |' "$T/r.md" \
  || fail "Markdown row: $(grep 'MMAPK\] pairs' "$T/r.md")"
pass "self-report vs measured from the first operation: agree; the whole run from exec is larger"

# An external command marks nothing: the whole run is the basis, and the
# first-operation figure says why it is missing.
printf '#!/bin/sh\necho "[MMAPK] pairs=0"\n' > "$T/x.sh"; chmod +x "$T/x.sh"
soak run --db "$DB" --config "$T/soak.ini" -w exec -d 1s -i 250ms --no-progress -q -- "$T/x.sh" || fail "exec run exited $?"
soak report --db "$DB" --format json 2 > "$T/x.json"
python3 - "$T/x.json" <<'PY' || fail "exec run's basis"
import json, sys
c = json.load(open(sys.argv[1]))["runs"][0]["selfreport_classes"][0]
assert c["measured_from_first_op"] is None and "does not mark" in c["measured_from_first_op_unavailable"], c
assert c["disagree_basis"] == "whole run", c
PY
pass "an external command: compared over the whole run, the first-operation figure unavailable with its reason"
assert_no_cgroups
