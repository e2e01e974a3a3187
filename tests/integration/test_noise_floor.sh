#!/usr/bin/env bash
# The noise floor applied to a run is the one measured under the run's
# conditions: host name and class, interval, limits, control pattern; the
# closest in time; its age shown, and a floor more than 7 days from the run
# marked stale and not applied by the gate. The case that failed: a
# `calibrate --cpu-max 5%` (a starved control, CV far beyond the threshold)
# made an earlier unlimited run's CV "cannot evaluate: host too noisy", and
# merge carried a floor to another machine of the same name.
source "$(dirname "$0")/lib.sh"
cd "$T"
R=(-d 3s --warmup 500ms -i 250ms --no-progress -q)
soak run --db "$DB" -w random_mixed "${R[@]}" || fail "unlimited run exited $?"
free_id=$(q "select max(id) from runs")
soak calibrate --db "$DB" "${R[@]}" --cpu-max 5% || fail "calibrate --cpu-max 5% exited $?"
[ "$(q "select cpu_max_pct from host_noise")" = 5.0 ] || fail "the floor does not record its CPU limit: $(q "select * from host_noise")"
fcv=$(q "select cv_pct from host_noise")

# The unlimited run: no floor (none measured without limits); the gate judges
# its CV by the plain threshold, never "host too noisy" from a starved control.
soak report --db "$DB" --format json "$free_id" > "$T/r.json"
json_get "$T/r.json" 'j["runs"][0]["host_noise"]["floor"]' | grep -q "^no noise floor measured on host .* at 0.25 s: run soakctl calibrate -i 0.25s$" \
  || fail "unlimited run given a floor: $(json_get "$T/r.json" 'j["runs"][0]["host_noise"]')"
rc=0; soak gate --db "$DB" "$free_id" > "$T/g.out" || rc=$?
line=$(grep " cv: " "$T/g.out")
case $line in
  *"host too noisy"*|*"host floor"*) fail "unlimited run judged against the --cpu-max 5% floor: $line" ;;
  "PASS"*|"FAIL"*) ;;
  *) fail "gate cv: $line" ;;
esac
pass "unlimited run: no floor from calibrate --cpu-max 5% (its CV $fcv%): ${line:0:100}"

# A run under the same limit gets that floor, with its age.
soak run --db "$DB" -w random_mixed "${R[@]}" --cpu-max 5% || fail "limited run exited $?"
lim_id=$(q "select max(id) from runs")
soak report --db "$DB" --format json "$lim_id" > "$T/l.json"
python3 - "$T/l.json" "$fcv" <<'PY' || fail "the limited run does not show its floor"
import json, sys
h = json.load(open(sys.argv[1]))["runs"][0]["host_noise"]
assert abs(h["cv_pct"] - float(sys.argv[2])) < 1e-9, h
assert "measured within a minute of the run's start" in h["floor"] or "min before the run" in h["floor"], h["floor"]
PY
# Its age relative to the run, and stale beyond 7 days: shown, not applied.
started=$(q "select started_at from runs where id = $lim_id")
q "update host_noise set measured_at = strftime('%Y-%m-%dT%H:%M:%fZ', '$started', '-3 hours')"
# (to a file first: grep -q stops reading early, and under pipefail the
# report's SIGPIPE would fail the test)
soak report --db "$DB" "$lim_id" > "$T/age.md"
grep -q "measured 3 h before the run" "$T/age.md" || fail "age not shown: $(grep -i floor "$T/age.md")"
q "update host_noise set measured_at = strftime('%Y-%m-%dT%H:%M:%fZ', '$started', '+9 days')"
soak report --db "$DB" --format json "$lim_id" > "$T/s.json"
json_get "$T/s.json" 'j["runs"][0]["host_noise"]["floor"]' | grep -q "measured 9 days after the run; stale" \
  || fail "stale floor not marked: $(json_get "$T/s.json" 'j["runs"][0]["host_noise"]["floor"]')"
rc=0; soak gate --db "$DB" "$lim_id" > "$T/g2.out" || rc=$?
line=$(grep " cv: " "$T/g2.out")
case $line in
  "PASS"*"stale"*|"FAIL"*"stale"*) ;;
  *) fail "gate with a stale floor: $line" ;;
esac
pass "floor age shown (3 h before, 9 days after: stale, the gate's plain threshold)"

# merge: another machine with the same host name (another class) never gets
# this floor; the floor keeps its class in the merged database.
soak run --db "$T/b.db" -w random_mixed "${R[@]}" --cpu-max 5% --host-class other-machine || fail "run on b exited $?"
q "update host_noise set measured_at = '$started'"
soak merge "$T/m.db" "$DB" "$T/b.db" -q || fail "merge exited $?"
[ "$(sqlite3 "$T/m.db" "select count(*) from host_noise where host_class = (select host_class from runs where id = $lim_id)")" = 1 ] \
  || fail "merged floor lost its class: $(sqlite3 "$T/m.db" "select * from host_noise")"
bid=$(sqlite3 "$T/m.db" "select id from runs where host_class = 'other-machine'")
soak report --db "$T/m.db" --format json "$bid" > "$T/b.json"
json_get "$T/b.json" 'j["runs"][0]["host_noise"]["floor"]' | grep -q "^no noise floor measured on host .* under the run's limits: run soakctl calibrate -i 0.25s --cpu-max 5%$" \
  || fail "another class got the floor: $(json_get "$T/b.json" 'j["runs"][0]["host_noise"]')"
pass "merge: a host of the same name and another class gets no floor"
rm -f "$T/b.db" "$T/m.db"
assert_no_cgroups
