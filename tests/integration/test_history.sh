#!/usr/bin/env bash
# soakctl history and gate --history on histories written through the real
# write path (tests/bench/synthdb.c) with known ground truth: a stationary
# noisy series (CV 8%) shows no regression in the newest night and passes the
# gate; a planted -10% throughput step in the newest night (3 runs per night)
# fails it, naming the allocator, metric and night; a +15% step four nights
# ago is reported as an improvement at that night and does not fail the gate.
source "$(dirname "$0")/lib.sh"
SYN=$SOAK_BUILD/tests/synthdb
[ -x "$SYN" ] || fail "$SYN was not built (tests/bench/synthdb.c)"
"$SYN" "$DB" system 8 3 1e7 0.08 -1 0 11 || fail "synthdb system"
"$SYN" "$DB" mimalloc 8 3 1.2e7 0.08 -1 0 12 || fail "synthdb mimalloc"
rc=0; soak gate --history --db "$DB" > "$T/g1" || rc=$?
[ $rc = 0 ] || fail "stationary history failed the gate (exit $rc): $(cat "$T/g1")"
grep -q "2 series, 0 failing in the newest night" "$T/g1" || fail "gate summary: $(cat "$T/g1")"
pass "noisy stationary history (CV 8%, 8 nights x 3 runs, 2 allocators) passes gate --history"

"$SYN" "$DB" slow 8 3 1e7 0.03 7 -10 13 || fail "synthdb slow"
rc=0; soak gate --history --db "$DB" > "$T/g2" || rc=$?
[ $rc = 1 ] || fail "planted -10% step in the newest night: gate exit $rc, want 1: $(cat "$T/g2")"
grep "^FAIL" "$T/g2" | grep -q "slow .*Throughput regression -[0-9.]*% .*at night nightly-2026-01-08" \
  || fail "gate does not name allocator, metric and night: $(cat "$T/g2")"
grep "^FAIL" "$T/g2" | grep -qv "^FAIL slow" && fail "gate blames an unchanged allocator: $(cat "$T/g2")"
pass "planted step: $(grep -m1 '^FAIL' "$T/g2")"

soak history --db "$DB" --format json --output "$T/h.json" || fail "history json exited $?"
python3 - "$T/h.json" <<'PY' || fail "history JSON does not show the planted step as ground truth says"
import json, sys
h = json.load(open(sys.argv[1]))
s = {x["allocator"]: x for x in h["series"]}
slow = [c for c in s["slow"]["change_points"] if c["metric"] == "throughput"]
assert len(slow) == 1, slow
c = slow[0]
pts = s["slow"]["points"]
assert pts[c["point"]]["night"] == "nightly-2026-01-08" and c["point"] == 21, c     # first run of night 8
assert c["direction"] == "regression" and c["newest_night"] and -14 < c["change_pct"] < -6, c
assert 0 < c["p"] <= 0.05 and abs(c["confidence"] - (1 - c["p"])) < 1e-12, c
for a in ("system", "mimalloc"):
    assert not [x for x in s[a]["change_points"] if x["metric"] == "throughput"], s[a]["change_points"]
assert len(pts) == 24 and all(p["metrics"]["throughput"] > 0 for p in pts)
print("slow:", c["change_pct"], "p", c["p"])
PY
pass "history: one throughput change point for slow at its first run of the newest night, none for the others"

# An old step: reported where it happened, the gate passes.
DB2=$T/old.db
"$SYN" "$DB2" jemalloc 10 3 1e7 0.03 4 15 21 || fail "synthdb jemalloc"
rc=0; soak gate --history --db "$DB2" > "$T/g3" || rc=$?
[ $rc = 0 ] || fail "an improvement four nights ago failed the gate (exit $rc): $(cat "$T/g3")"
soak history --db "$DB2" --metric throughput > "$T/h.md" || fail "history md"
grep -q "| S1 | jemalloc | Throughput | nightly-2026-01-05 | .* | +1[0-9].[0-9]% | .* | improvement |" "$T/h.md" \
  || fail "old step not reported at nightly-2026-01-05: $(grep -A4 'Change points' "$T/h.md")"
pass "an old +15% step is an improvement at nightly-2026-01-05; the gate passes"
# Bad input: one line, exit 2.
rc=0; soak history --db "$T/missing.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "missing db: exit $rc: $(cat "$T/err")"
rc=0; soak history --db "$DB" --metric bogus 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "bad metric: exit $rc: $(cat "$T/err")"
pass "bad input refused with one line"
# The derived per-run summaries (run_summary) change nothing: the first
# history fills them, the second reads them, --no-cache recomputes; all equal.
q "delete from run_summary"
soak history --db "$DB" --format json --no-cache > "$T/a.json" || fail "history --no-cache"
[ "$(q "select count(*) from run_summary")" = 0 ] || fail "--no-cache wrote summaries"
soak history --db "$DB" --format json > /dev/null || fail "history (filling the cache)"
[ "$(q "select count(*) from run_summary")" = "$(q "select count(*) from runs where status = 'ok'")" ] \
  || fail "history did not keep a summary per run"
soak history --db "$DB" --format json > "$T/b.json" || fail "history (cached)"
cmp -s "$T/a.json" "$T/b.json" || fail "history from run_summary differs from history recomputed"
q "update run_summary set data = replace(data, 'computed_by\":\"', 'computed_by\":\"old ')"
soak history --db "$DB" --format json > "$T/c.json" || fail "history (stale cache)"
cmp -s "$T/a.json" "$T/c.json" || fail "a summary of another build was used"
pass "run_summary: cached, recomputed and stale-cache histories are identical"
