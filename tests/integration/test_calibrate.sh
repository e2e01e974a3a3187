#!/usr/bin/env bash
# soakctl calibrate, the host's noise floor: the spin control run's per-interval
# throughput CV and drift are stored as the host's noise floor (host_noise:
# host, kernel, time, interval, run) and equal the control run's own report;
# a later run on the same host and interval shows the floor beside its CV and
# drift (JSON host_noise), and the gate's cv check is judged against it:
# "excess CV" or "cannot evaluate: host too noisy", never the plain threshold.
# A run at another interval has no floor and says how to measure one.
source "$(dirname "$0")/lib.sh"
cd "$T"
soak calibrate --db "$DB" -d 12s --warmup 1s -i 1s --no-progress > "$T/cal.out" || fail "calibrate exited $?"
grep -q "noise floor at 1 s: throughput CV" "$T/cal.out" || fail "calibrate said: $(cat "$T/cal.out")"
read -r host iv cv drift rid < <(q "select host, interval_s, cv_pct, coalesce(drift_pct, 'null'), run_id from host_noise" | tr '|' ' ')
[ "$host" = "$(q "select host from runs where id=$rid")" ] && [ "$iv" = 1.0 ] || fail "host_noise row: $host $iv (run $rid)"
[ "$(q "select workload || ' ' || allocator_name || ' ' || status from runs where id=$rid")" = "spin system ok" ] || fail "control run $rid"
soak report --db "$DB" --format json "$rid" > "$T/c.json"
python3 - "$T/c.json" "$cv" "$drift" <<'PY' || fail "the stored floor is not the control run's own CV/drift"
import json, sys
t = json.load(open(sys.argv[1]))["runs"][0]["throughput"]
cv, drift = float(sys.argv[2]), sys.argv[3]
assert abs(t["cv_pct"] - cv) <= 1e-9 * max(cv, 1), (t["cv_pct"], cv)
assert (drift == "null" and t["drift_pct"] is None) or abs(t["drift_pct"] - float(drift)) < 1e-9, (t["drift_pct"], drift)
PY
soak run --db "$DB" -w random_mixed -d 12s --warmup 1s -i 1s --no-progress -q || fail "run exited $?"
id=$(q "select max(id) from runs")
soak report --db "$DB" --format json "$id" > "$T/r.json"
python3 - "$T/r.json" "$cv" <<'PY' || fail "report does not show the floor (see above)"
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
h, cv = r["host_noise"], float(sys.argv[2])
print("run CV", r["throughput"]["cv_pct"], "floor", h["cv_pct"], "excess", h["excess_cv_pct"], "tp/cpu-s", r["tp_per_cpu_s"])
assert abs(h["cv_pct"] - cv) < 1e-9 and h["interval_s"] == 1
c, f = r["throughput"]["cv_pct"], h["cv_pct"]
assert abs(h["excess_cv_pct"] - max(0, c * c - f * f) ** 0.5) < 1e-9
assert r["tp_per_cpu_s"] and r["tp_per_cpu_s"] > 0
PY
rc=0
soak gate --db "$DB" "$id" > "$T/g.out" || rc=$?
line=$(grep " cv: " "$T/g.out")
case $line in
  "PASS"*"excess CV"*|"FAIL"*"excess CV"*|"ERROR"*"cannot evaluate: host too noisy (control CV"*) ;;
  *) fail "gate cv check not judged against the floor: $line" ;;
esac
pass "calibrate: floor CV $cv% at 1 s stored and shown; gate: ${line:0:120}"
soak run --db "$DB" -w random_mixed -d 3s -i 500ms --no-progress -q || fail "run exited $?"
soak report --db "$DB" --format json --latest > "$T/n.json"
json_get "$T/n.json" 'j["runs"][0]["host_noise"]["cv_pct_unavailable"]' | grep -q "no noise floor measured on host .* at 0.5 s: run soakctl calibrate -i 0.5s" \
  || fail "a run at 0.5 s: $(json_get "$T/n.json" 'j["runs"][0]["host_noise"]')"
pass "no floor at 0.5 s: the report says how to measure one"
assert_no_cgroups
