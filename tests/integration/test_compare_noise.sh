#!/usr/bin/env bash
# compare A A: the same allocator against itself, --repeat K, on a quiet
# workload. Repeats are the statistical unit (K >= 4), the runs are
# interleaved in rounds and share one comparison id, and the throughput
# verdict is "no significant difference". The test prints how many of all
# metric verdicts said "different" (each has a false-positive rate of at most
# 2/70 = 2.9% with 4 vs 4 repeats), and checks --from-db re-reports the same.
source "$(dirname "$0")/lib.sh"
"$SOAKCTL" compare --help >/dev/null 2>&1 \
  || fail "soakctl has no 'compare' command (add it to the command table in cli/main.c)"
K=4
soak compare system system --repeat $K -w tiny_hot -d 4s -i 200ms --warmup 1s --db "$DB" \
  --no-progress --format json --output "$T/c.json" 2> "$T/err" \
  || { cat "$T/err" >&2; fail "compare exited $?"; }
[ "$(q "select count(*) from runs")" = $((2 * K)) ] || fail "expected $((2 * K)) runs"
[ "$(q "select count(distinct comparison_id) from runs where comparison_id is not null")" = 1 ] \
  || fail "runs do not share one comparison id"
[ "$(q "select count(*) from runs where status='ok'")" = $((2 * K)) ] \
  || fail "not every run ended ok: $(q "select id, status, message from runs")"
# Interleaved: every round runs both columns before the next round starts.
python3 - "$T/err" $K <<'PY' || fail "runs were not interleaved in rounds"
import re, sys
rounds = {}
for line in open(sys.argv[1]):
    m = re.search(r"round (\d+)/\d+, run \d+/\d+: (\S+)", line)
    if m:
        rounds.setdefault(int(m.group(1)), []).append(m.group(2))
k = int(sys.argv[2])
assert sorted(rounds) == list(range(1, k + 1)), rounds
assert all(sorted(v) == ["system", "system#2"] for v in rounds.values()), rounds
PY
read -r unit tpv ndiff nv <<<"$(python3 - "$T/c.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema_version"] == 1
cand = [a for a in j["allocators"] if not a["baseline"]][0]
vs = cand["verdicts"]
diff = [k for k, v in vs.items() if v["verdict"] in ("better", "worse")]
print(j["method"]["unit"], vs["throughput"]["verdict"], len(diff), len(vs))
for k in diff:
    print("different:", k, vs[k]["reason"], file=sys.stderr)
PY
)"
echo "verdicts that said different: $ndiff of $nv (unit: $unit)"
[ "$unit" = repeats ] || fail "with $K repeats the unit should be repeats, got $unit"
[ "$tpv" = same ] || fail "system vs system throughput verdict is '$tpv', expected no significant difference"
cid=$(q "select distinct comparison_id from runs")
soak compare --from-db --db "$DB" "$cid" > "$T/again.md" || fail "compare --from-db exited $?"
grep -q "^| Throughput (M ops/s) |" "$T/again.md" || fail "no side-by-side table from --from-db"
grep -q "Method" "$T/again.md" || fail "no method under the table"
assert_no_cgroups
pass "system vs system, $K repeats: throughput $tpv; $ndiff of $nv metric verdicts said different"
