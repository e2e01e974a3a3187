#!/usr/bin/env bash
# compare --control, the host's noise measured during a comparison: a spin
# control run (system allocator) is interleaved once per round with the
# allocators' runs. Checked against the control runs' own reports: the
# comparison's host noise is their mean per-interval CV and drift and the CV
# of their mean throughputs (computed here by hand), the floor is stored in
# host_noise like calibrate's, the control runs belong to no allocator's
# column, and --from-db refuses --control with one line and exit 2.
source "$(dirname "$0")/lib.sh"
cd "$T"
soak compare system system -w random_mixed -d 3s --warmup 0 -i 250ms --repeat 4 --control \
  --db "$DB" --no-progress -q --format json --output "$T/c.json" || fail "compare --control exited $?"
ctl=$(q "select group_concat(id, ' ') from runs where workload = 'spin' and label = 'compare-control'")
[ "$(wc -w <<< "$ctl")" = 4 ] || fail "expected 4 control runs, got: $ctl"
[ "$(q "select count(*) from runs where workload = 'spin' and comparison_id is not null")" = 0 ] \
  || fail "a control run carries the comparison id (it would join a column in --from-db)"
for id in $ctl; do soak report --db "$DB" --format json "$id" > "$T/r$id.json"; done
read -r ncv ndrift < <(q "select cv_pct, drift_pct from host_noise order by id desc limit 1" | tr '|' ' ')
python3 - "$T/c.json" "$ncv" "$ndrift" $(for id in $ctl; do echo "$T/r$id.json"; done) <<'PY' || fail "host noise is not the control runs' own figures (see above)"
import json, sys, statistics as st
c = json.load(open(sys.argv[1]))
ncv, ndrift = float(sys.argv[2]), float(sys.argv[3])
runs = [json.load(open(p))["runs"][0] for p in sys.argv[4:]]
tp = [r["throughput"]["mean_ops_s"] for r in runs]
cv = st.mean(r["throughput"]["cv_pct"] for r in runs)
drift = st.mean(r["throughput"]["drift_pct"] for r in runs)
run_cv = 100 * st.stdev(tp) / st.mean(tp)
h = c["host_noise"]
print("control CV", h["cv_pct"], "drift", h["drift_pct"], "run-to-run CV", h["run_cv_pct"], "by hand", cv, drift, run_cv)
assert h["measured"] and h["from_control"], h
assert abs(h["cv_pct"] - cv) < 1e-9 * max(1, cv), (h["cv_pct"], cv)
assert abs(h["drift_pct"] - drift) < 1e-9 * max(1, abs(drift)), (h["drift_pct"], drift)
assert abs(h["run_cv_pct"] - run_cv) < 1e-9 * max(1, run_cv), (h["run_cv_pct"], run_cv)
assert abs(ncv - cv) < 1e-9 * max(1, cv) and abs(ndrift - drift) < 1e-9 * max(1, abs(drift)), (ncv, ndrift)
ids = {r["id"] for r in runs}
for g in c["allocators"]:
    assert not ids & set(g["runs"]), ("control run in a column", g["name"], g["runs"])
    assert len(g["runs"]) == 4, g["runs"]
    f = g["figures"]
    own = [x["throughput"]["mean_ops_s"] for x in c["runs"] if x["id"] in g["runs"]]
    assert abs(f["run_cv_pct"] - 100 * st.stdev(own) / st.mean(own)) < 1e-9 * max(1, f["run_cv_pct"])
PY
pass "compare --control: host noise = the 4 control runs' own CV/drift/run-to-run CV, stored as the floor"
# Without the control runs (--from-db), the host noise rows come from the
# floor the control stored, named as a calibrated floor; no run-to-run CV.
cid=$(q "select comparison_id from runs where comparison_id is not null limit 1")
soak compare --from-db "$cid" --db "$DB" --format json > "$T/f.json" || fail "compare --from-db exited $?"
python3 - "$T/f.json" "$ncv" "$ndrift" <<'PY' || fail "--from-db: host noise is not the stored floor (see above)"
import json, sys
h = json.load(open(sys.argv[1]))["host_noise"]
ncv, ndrift = float(sys.argv[2]), float(sys.argv[3])
print("from-db host noise:", h)
assert h["measured"] and not h["from_control"] and h["source"].startswith("stored floor (soakctl calibrate or compare --control): spin on "), h
assert abs(h["cv_pct"] - ncv) < 1e-9 * max(1, ncv) and abs(h["drift_pct"] - ndrift) < 1e-9 * max(1, abs(ndrift)), h
assert h["run_cv_pct"] is None and "control runs" in h["run_cv_pct_unavailable"], h
PY
pass "compare --from-db: host noise = the stored floor ($ncv%), run-to-run CV unavailable with its reason"
soak compare --from-db --db "$DB" --control system 2> "$T/e" && fail "--from-db --control accepted"
[ $? -eq 2 ] && [ "$(wc -l < "$T/e")" = 1 ] && grep -q "control" "$T/e" || fail "--from-db --control: $(cat "$T/e")"
pass "--from-db --control: one line, exit 2"
assert_no_cgroups
