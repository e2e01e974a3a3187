#!/usr/bin/env bash
# compare --until-decided --max-runs M: while throughput, peak RSS or p99 is
# undecided, every allocator runs once more (run --like its newest run, in
# the comparison) and the comparison looks again, the looks sharing alpha;
# the exit code is the gate's (0 decided, 1 worse, 2 undecided, 128+N
# interrupted). The rule itself (what is decided) is tested by hand in unit
# test_compare (test_decision). Two allocators on one LD_PRELOAD shim that
# waits in malloc: "fast" without a wait, "slow" with 2 us in every malloc.
# --repeat 4 at alpha 0.05 over at most 3 looks (0.0167 each) cannot decide
# at the first look (the exact U test needs 5 runs a side below 0.0167), so
# look 2, after one more run of each, is where the ground truth shows:
# - the planted wait (throughput falls to a few percent, p99 grows from tens
#   of ns to 2 us): worse at look 2, exit 1, exactly 2 runs added;
# - the same allocator twice, --max-runs 1: the exit code is what the final
#   verdicts give, checked against them here (at 5 runs a side on this noisy
#   host the throughput interval reaches beyond 2%: undecided, exit 2);
# - SIGTERM during an added run: exit 143, the run recorded interrupted;
# - --max-runs alone, --until-decided with --from-db: one line, exit 2.
source "$(dirname "$0")/lib.sh"
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built (tests/helpers/libslowmalloc.c)"
printf '[allocator.fast]\npath = %s\nenv = SOAK_TEST_MALLOC_DELAY_NS=0 SOAK_TEST_MALLOC_DELAY_EVERY=1\n' "$LIB" > "$T/a.ini"
printf '[allocator.slow]\npath = %s\nenv = SOAK_TEST_MALLOC_DELAY_NS=2000 SOAK_TEST_MALLOC_DELAY_EVERY=1\n' "$LIB" >> "$T/a.ini"

# The final verdicts' exit code, from the JSON by the documented rule: a
# metric is decided when better or worse, or "same" with its whole interval
# within the threshold (peak RSS: or within 1 MiB) or below resolution.
want_rc() {
  python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
base = next(a for a in j["allocators"] if a["baseline"])
thr = {"throughput": 2, "rss_peak": 5, "latency_p99": 10}
worse = undecided = decided = 0
for a in j["allocators"]:
    if a["baseline"]:
        continue
    for m, t in thr.items():
        v = a["verdicts"][m]
        if v["verdict"] in ("better", "worse"):
            decided += 1
            worse += v["verdict"] == "worse"
        elif v["verdict"] == "insufficient":
            undecided += v["units"] > 0 and v["units"] < j["method"]["min_units"]
        elif "below resolution" in v["reason"] or all(abs(b) <= t or (m == "rss_peak" and
                abs(b) / 100 * v["baseline_mean"] <= 1 << 20) for b in v["ci"]):
            decided += 1
        else:
            undecided += 1
print(1 if worse else 2 if undecided or not decided else 0)
PY
}
# cmp NAME ARGS: compare --until-decided into $T/NAME.{json,err}; its exit code in $rc.
cmp() {
  local name=$1; shift
  rc=0
  soak compare --db "$DB" --config "$T/a.ini" -w random_mixed -d 1s -i 200ms --repeat 4 --until-decided \
    "$@" --format json --output "$T/$name.json" 2> "$T/$name.err" || rc=$?
}
runs_of() { q "select count(*) from runs where comparison_id='$(json_get "$T/$1.json" 'j["comparison_id"]')'"; }

# The example of docs/compare-gate.md ("Undecided: run more"), with --db.
grep -q '^        fast slow --max-runs 2 --format json --output cmp.json$' "$SOAK_SRC/docs/compare-gate.md" \
  || fail "the example in docs/compare-gate.md changed: run the new one here"
cmp slow fast slow --max-runs 2
cat "$T/slow.err" | grep -v '^soakctl: round'
[ $rc = 1 ] || fail "planted wait: exit $rc, expected 1 (worse): $(cat "$T/slow.err")"
[ "$(want_rc "$T/slow.json")" = 1 ] || fail "planted wait: the final verdicts do not say worse"
[ "$(json_get "$T/slow.json" '[a["verdicts"]["throughput"]["verdict"] for a in j["allocators"] if not a["baseline"]][0]')" = worse ] \
  || fail "planted wait: throughput is not worse"
[ "$(runs_of slow)" = 10 ] || fail "planted wait: $(runs_of slow) runs in the comparison, expected 8 + 2"
[ "$(json_get "$T/slow.json" '[len(a["runs"]) for a in j["allocators"]]')" = "[5, 5]" ] \
  || fail "planted wait: the report does not hold 5 runs a side"
grep -q '^look 1 of at most 3: 3 metrics, 0 worse, 3 undecided, 0 cannot be decided (alpha 0.05 split over at most 3 looks: 0.0167 at look 1)$' "$T/slow.err" \
  || fail "look 1 line: $(cat "$T/slow.err")"
grep -q '^  slow throughput undecided: needs at least 5 units per allocator' "$T/slow.err" || fail "look 1: why undecided"
[ "$(grep -c '^run [12] of at most 4: soakctl run --like [0-9]* (\(fast\|slow\))$' "$T/slow.err")" = 2 ] \
  || fail "not one run line per allocator: $(cat "$T/slow.err")"
grep -q '^look 2 of at most 3: 3 metrics, [1-3] worse' "$T/slow.err" || fail "look 2 line"
grep -q '^  slow throughput worse: -[0-9.]*% \[' "$T/slow.err" || fail "look 2: throughput not worse"
grep -Eq '^stopped at look 2: a metric is worse, which more runs cannot undo; 2 more runs, [0-9]+ s of runs$' "$T/slow.err" \
  || fail "no closing line"
# Each added run repeats its side's settings, in the comparison.
cols="workload, workload_args, allocator_name, allocator_path, allocator_env, duration_s, interval_s, warmup_s, comparison_id"
[ "$(q "select count(*) from (select distinct $cols from runs)")" = 2 ] || fail "the added runs have other settings"
pass "planted wait: worse at look 2 (exit 1) after one more run of each side, in the comparison, with its settings"

cmp same fast fast --max-runs 1
[ "$(runs_of same)" = 10 ] || fail "same allocator: $(runs_of same) runs in the comparison, expected 8 + 2 (--max-runs 1 per allocator)"
want=$(want_rc "$T/same.json")
[ $rc = "$want" ] || fail "same allocator: exit $rc, the final verdicts give $want: $(cat "$T/same.err")"
case $rc in
  2) grep -Eq '^still undecided after 2 more runs \(--max-runs 1 per allocator\), [0-9]+ s of runs:$' "$T/same.err" &&
     grep -Eq '^  fast#2 [a-z_0-9]+: [-+][0-9.]+% \[[-+][0-9.]+%, [-+][0-9.]+%\].* \(vs a [0-9]+% threshold\)$' "$T/same.err" ;;
  1) grep -q '^stopped at look 2: a metric is worse' "$T/same.err" ;;
  0) grep -Eq '^decided after 2 more runs, [0-9]+ s of runs$' "$T/same.err" ;;
esac || fail "same allocator: exit $rc without its closing line: $(cat "$T/same.err")"
[ "$(grep -c '^look [12] of at most 2:' "$T/same.err")" = 2 ] || fail "same allocator: not two looks"
echo "same allocator: exit $rc"
pass "same allocator, --max-runs 1: 2 runs added, exit as the final verdicts say"

# Interrupted during an added run: 128 + SIGTERM, the run kept as interrupted
# (2 runs a side: no verdict at the first look, so a run is added at once).
n=$(q "select count(*) from runs")
"$SOAKCTL" compare --db "$DB" --config "$T/a.ini" -w random_mixed -d 3s -i 200ms --repeat 2 --until-decided --max-runs 3 \
  fast fast --format json --output "$T/int.json" 2> "$T/int.err" &
pid=$!
# the signal lands inside the first added run (3 s): 1.5 s after it was announced
# (the database is not polled: a reader beside the runner is not what this tests)
for _ in $(seq 1 600); do grep -q '^run 1 of at most' "$T/int.err" && break; sleep 0.1; done
grep -q '^run 1 of at most' "$T/int.err" || { kill $pid; fail "no added run started: $(cat "$T/int.err")"; }
sleep 1.5
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 143 ] || fail "SIGTERM during an added run: exit $rc, expected 143: $(cat "$T/int.err")"
[ "$(q "select status from runs where id=(select max(id) from runs)")" = interrupted ] || fail "the added run is not interrupted: $(q "select id, status from runs") $(cat "$T/int.err")"
grep -Eq '^interrupted after 1 more run \(the last one interrupted, if one was running\); reported: look 1; [0-9]+ s of runs$' "$T/int.err" || fail "no interrupted line: $(cat "$T/int.err")"
[ -s "$T/int.json" ] || fail "the last look was not reported"
pass "SIGTERM during an added run: exit 143, run interrupted, the last look reported"

# Bad input: one line, exit 2, nothing run.
n=$(q "select count(*) from runs")
rc=0; soak compare --db "$DB" fast slow --max-runs 2 2> "$T/err" > /dev/null || rc=$?
[ $rc = 2 ] && grep -q 'applies to --until-decided only' "$T/err" || fail "--max-runs alone: exit $rc: $(cat "$T/err")"
rc=0; soak compare --db "$DB" --from-db --until-decided 1,2 3,4 2> "$T/err" > /dev/null || rc=$?
[ $rc = 2 ] && grep -q 'not with --from-db' "$T/err" || fail "--from-db --until-decided: exit $rc: $(cat "$T/err")"
[ "$(q "select count(*) from runs")" = "$n" ] || fail "a refused compare ran something"
pass "--max-runs alone and --until-decided with --from-db are refused"
assert_no_cgroups
