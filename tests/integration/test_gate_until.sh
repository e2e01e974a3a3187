#!/usr/bin/env bash
# gate --until-decided --max-runs M runs the gated series again (run --like
# its newest gated run, under its label) while a baseline check is
# undecided, at most M times, and ends with the exit code its final checks
# give (0 pass, 1 a check failed, 2 undecided). The rules themselves (the
# looks share alpha, when to stop) are tested by hand in unit test_gate.
# Two series against one baseline of 5 runs of allocator "cand" (an
# LD_PRELOAD shim that waits in malloc, here without a wait), 3 s each:
# - the same allocator: whatever the noise of this shared host makes of it,
#   the runs added are at most M, carry the candidate's label and settings,
#   one look is printed per run plus the first, and the exit code is the
#   one of the final checks (JSON);
# - a planted wait of 2 us in every malloc (throughput falls, the p99
#   latency grows from tens of ns to 2 us): a decided FAIL of a baseline
#   check, exit 1, within M more runs.
source "$(dirname "$0")/lib.sh"
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built (tests/helpers/libslowmalloc.c)"
ini() { printf '[allocator.cand]\npath = %s\nenv = SOAK_TEST_MALLOC_DELAY_NS=%s SOAK_TEST_MALLOC_DELAY_EVERY=1\n' \
  "$LIB" "$1" > "$T/$2.ini"; }
ini 0 base
ini 2000 slow
# The runs' own checks are not what this tests: only the baseline checks.
printf '[gate]\ncv_max_pct = off\ntp_drift_min_pct = off\nrss_drift_max_pct = off\n' > "$T/g.ini"
run() { soak run --db "$DB" --config "$T/$1.ini" --allocator cand -w random_mixed -d 3s -i 200ms \
  --warmup 500ms --label "$2" --no-progress -q > /dev/null || fail "run $2 exited $?"; }
for i in 1 2 3 4 5; do run base nightly; done

# until LABEL: gate --until-decided --max-runs 2 of LABEL's runs; checks the loop.
until_gate() {
  local label=$1 rc=0 before after looks
  before=$(q "select count(*) from runs where label='$label'")
  soak gate --db "$DB" --label "$label" --baseline nightly --thresholds "$T/g.ini" --until-decided \
    --max-runs 2 --json "$T/$label.json" > "$T/$label.out" 2> "$T/$label.err" || rc=$?
  after=$(q "select count(*) from runs where label='$label'")
  added=$((after - before))
  [ $added -le 2 ] || fail "$label: $added runs added, more than --max-runs 2"
  [ "$(q "select count(*) from runs where label is null or label not in ('nightly', 'same', 'rc')")" = 0 ] \
    || fail "$label: a run without the candidate's label was added"
  looks=$(grep -c '^look [0-9] of at most 3:' "$T/$label.out" || true)
  [ "$looks" = $((added + 1)) ] || fail "$label: $looks looks printed for $added added runs: $(cat "$T/$label.out")"
  # The added runs repeat the first one's settings.
  local cols="workload, workload_args, allocator_name, allocator_path, allocator_env, duration_s, interval_s, warmup_s"
  [ "$(q "select count(*) from (select distinct $cols from runs where label='$label')")" = 1 ] \
    || fail "$label: the added runs have other settings"
  # The exit code is the final checks'.
  local want
  want=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
st = [c["state"] for r in j["runs"] for c in r["checks"]]
print(2 if "error" in st else 1 if "fail" in st else 2 if "undecided" in st else 0)' "$T/$label.json")
  [ $rc = "$want" ] || fail "$label: exit $rc, but the final checks give $want: $(cat "$T/$label.out" "$T/$label.err")"
  case $rc in
    0) grep -Eq '^decided (at the first look|after [12] more runs?, [0-9]+ s of runs)$' "$T/$label.out" ;;
    1) grep -Eq '^stopped at look [123]: a check failed' "$T/$label.out" ;;
    2) [ $added = 2 ] && grep -Eq '^still undecided after 2 more runs \(--max-runs 2\), [0-9]+ s of runs:$' "$T/$label.out" &&
       grep -Eq 'baseline_throughput: undecided after [0-9]+ runs: [-+][0-9.]+% \[[-+][0-9.]+%, [-+][0-9.]+%\] vs a 2% limit$' "$T/$label.out" ;;
  esac || fail "$label: exit $rc without its closing line: $(cat "$T/$label.out")"
  echo "$label: exit $rc after $added more run(s)"
}

run base same
until_gate same
grep -q 'family alpha 0.05 split over at most 3 looks' "$T/same.out" || fail "the looks' alpha is not said"
pass "unchanged allocator: at most 2 more runs under its label with its settings, one look each, exit as the final checks say"

run slow rc
until_gate rc
# A wait in every malloc costs throughput and shows in the p99 latency (2 us
# against tens of ns): either baseline check may be the one that decides.
[ "$(json_get "$T/rc.json" 'sorted({c["name"] for r in j["runs"] for c in r["checks"] if c["state"] == "fail" and c["name"] in ("baseline_throughput", "baseline_latency_p99")})')" != "[]" ] \
  || fail "the planted slowdown was not a decided FAIL of a baseline check: $(cat "$T/rc.out")"
grep -Eq '^stopped at look [123]: a check failed, which more runs cannot undo' "$T/rc.out" || fail "no closing line: $(cat "$T/rc.out")"
pass "a planted slowdown is a decided FAIL (exit 1) of a baseline check within --max-runs"

# Bad input: one line, exit 2, nothing run.
n=$(q "select count(*) from runs")
rc=0; soak gate --db "$DB" --label rc --until-decided 2> "$T/err" > /dev/null || rc=$?
[ $rc = 2 ] && grep -q 'needs a baseline' "$T/err" || fail "--until-decided without a baseline: exit $rc: $(cat "$T/err")"
rc=0; soak gate --db "$DB" --label rc --baseline nightly --max-runs 2 2> "$T/err" > /dev/null || rc=$?
[ $rc = 2 ] && grep -q 'applies to --until-decided only' "$T/err" || fail "--max-runs alone: exit $rc: $(cat "$T/err")"
[ "$(q "select count(*) from runs")" = "$n" ] || fail "a refused gate ran something"
pass "--until-decided without a baseline and --max-runs alone are refused"
assert_no_cgroups
