#!/usr/bin/env bash
# Live bytes of an exec command from a declared self-report key
# (docs/efficiency.md "Exec commands", docs/metrics.md "Memory efficiency"):
# - the docs example, run as written: python holds a 50 MiB bytearray and
#   prints [APP] held=52428800; the report's live bytes at the end are what it
#   printed, and overhead at the end = the last steady-state RSS sample of the
#   run's own samples / that value, within 0.1%; the series figures stay
#   unavailable with the reason;
# - declared but never printed: unavailable with "never printed it";
# - exec --repeat: the last step's value (steps print 1000, 2000, ...), not
#   the sum over the steps, over the last step's peak RSS; steps too small for
#   their own peak to be measured get no RSS at the end (and say why);
# - a declaration that is not a key, or not live_bytes, is refused: one line,
#   exit 2, no run recorded.
source "$(dirname "$0")/lib.sh"
python3 - "$SOAK_SRC/docs/efficiency.md" "$T/soak.ini" > "$T/example.sh" <<'PY' || fail "no test_selfreport_live example in docs/efficiency.md"
import re, sys
text = open(sys.argv[1]).read()
ini = [b for b in re.findall(r"```ini\n(.*?)```", text, re.S) if "[selfreport.APP]" in b]
open(sys.argv[2], "w").write(ini[0])
i = text.index("<!-- test_selfreport_live -->")
block = text[text.index("```sh\n", i) + 6:]
print(block[:block.index("```")])
PY
sed -i "s|^S=.*|S=$SOAKCTL|" "$T/example.sh"
(cd "$T" && bash "$T/example.sh") > "$T/example.out" 2>&1 || { cat "$T/example.out"; fail "the example failed"; }
DB=$T/live.db
[ "$(q 'select status from runs where id = 1')" = ok ] || fail "the example's run is not ok"
grep -q "50.00 (self-reported at the end, APP.held)" "$T/example.out" || { cat "$T/example.out"; fail "Markdown layers lack the self-reported requested layer"; }
grep -q "live bytes at the end self-reported by the command (APP.held, the value it printed last)" "$T/example.out" \
  || fail "Markdown does not say where live bytes come from"
printed=$(q "select cast(value as int) from run_values where run_id = 1 and name = 'selfreport.APP.held'")
[ "$printed" = 52428800 ] || fail "the command printed held=$printed, want 52428800"
warm=$(q "select warmup_s from runs where id = 1")
# the steady state ends at the stop request (the command holds until then)
stop=$(q "select coalesce(min(t), 1e9) from events where run_id = 1 and kind = 'stop_requested'")
last_rss=$(q "select value from samples_named where run_id = 1 and metric = 'rss_bytes' and value is not null and t >= $warm and t <= $stop order by t desc limit 1")
soak report --db "$DB" --format json 1 > "$T/r.json"
python3 - "$T/r.json" "$printed" "$last_rss" <<'PY' || fail "self-reported live bytes (see above)"
import json, sys
e = json.load(open(sys.argv[1]))["runs"][0]["efficiency"]
printed, rss = float(sys.argv[2]), float(sys.argv[3])
print(f"live at end {e['live_at_end_bytes']} (printed {printed:.0f}), RSS at end {e['rss_at_end_bytes']} "
      f"(last sample {rss:.0f}), overhead at end {e['overhead_at_end']:.4f}")
assert e["live_source"] == "self-report APP.held", e["live_source"]
assert e["live_at_end_bytes"] == printed
assert e["rss_at_end_source"] == "the last steady-state RSS sample"
assert abs(e["rss_at_end_bytes"] - rss) <= 0.001 * rss
assert abs(e["overhead_at_end"] - rss / printed) <= 0.001 * rss / printed
assert rss > printed, "RSS below the 50 MiB the command touched"
for k in ("live_mean_bytes", "live_drift_pct", "overhead_mean", "overhead_drift_pct"):
    assert e[k] is None and "one value at the end, not a series" in e[k + "_unavailable"], (k, e.get(k + "_unavailable"))
assert e["layers_mean_bytes"]["bytes_live"] is None
PY
pass "exec live bytes self-reported: $printed bytes, overhead at end = last RSS $last_rss / live"

# compare and history carry the at-end figures (the only ones such a command
# has): the same numbers as the report's
soak compare --from-db --db "$DB" --format json 1 > "$T/c.json" 2> /dev/null || fail "compare of run 1 exited $?"
sqlite3 "$DB" "update runs set label = 'night-1' where id = 1"
soak history --db "$DB" --format json > "$T/h.json" || fail "history exited $?"
python3 - "$T/r.json" "$T/c.json" "$T/h.json" <<'PY' || fail "compare/history at-end figures (see above)"
import json, sys
e = json.load(open(sys.argv[1]))["runs"][0]["efficiency"]
f = json.load(open(sys.argv[2]))["allocators"][0]["figures"]
print(f"compare: live_end {f['live_end']}, overhead_end {f['overhead_end']}")
assert f["live_end"] == e["live_at_end_bytes"] and f["overhead_end"] == e["overhead_at_end"], f
assert f["live_mean"] is None and "one value at the end" in f["live_mean_unavailable"]
h = json.load(open(sys.argv[3]))
pts = [p for s in h["series"] for p in s["points"]]
print(f"history: {len(pts)} point(s), overhead_end {[p['metrics'].get('overhead_end') for p in pts]}")
assert len(pts) == 1 and pts[0]["metrics"]["overhead_end"] == e["overhead_at_end"], pts
PY
pass "compare and history: live and overhead at the end as the report's"

soak run --db "$DB" --config "$T/soak.ini" -w exec -d 2s -i 250ms --no-progress -q -- sh -c 'sleep 1' \
  || fail "silent run exited $?"
soak report --db "$DB" --format json 2 > "$T/s.json"
why=$(json_get "$T/s.json" 'j["runs"][0]["efficiency"]["live_at_end_bytes_unavailable"]')
[ "$why" = "declared as APP.held but the command never printed it" ] || fail "silent command: '$why'"
why=$(json_get "$T/s.json" 'j["runs"][0]["efficiency"]["overhead_at_end_unavailable"]')
[ "$why" = "declared as APP.held but the command never printed it" ] || fail "silent command, overhead: '$why'"
pass "declared but never printed: $why"

# exec --repeat: step k holds 16 MiB (so its own peak RSS is measured, above
# the driver's) and prints held=k*1000, its number kept in a file
cat > "$T/step.py" <<'PY'
import sys
try:
    n = int(open(sys.argv[1]).read())
except OSError:
    n = 0
n += 1
open(sys.argv[1], "w").write(str(n))
b = bytearray(16 << 20)
print("[APP] held=%d" % (n * 1000), flush=True)
PY
soak run --db "$DB" --config "$T/soak.ini" -w exec --repeat -d 2s -i 200ms --no-progress -q -- \
  python3 "$T/step.py" "$T/step" || fail "repeat run exited $?"
steps=$(cat "$T/step")
soak report --db "$DB" --format json 3 > "$T/p.json"
python3 - "$T/p.json" "$steps" <<'PY' || fail "exec --repeat: the last step's value"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
e, n = run["efficiency"], int(sys.argv[2])
print(f"{n} steps: live at end {e['live_at_end_bytes']}, sum {run['selfreport']['APP.held']}, "
      f"RSS at end {e['rss_at_end_bytes']} ({e['rss_at_end_source']}), overhead {e['overhead_at_end']}")
# step k prints k*1000: the last step's value is the largest, and the whole
# run's sum is over steps 1..m (a step stopped at the end may have counted
# itself in the file without printing)
m = e["live_at_end_bytes"] / 1000
assert m >= 2 and m in (n, n - 1), (n, e["live_at_end_bytes"])
assert e["live_at_end_bytes"] == run["selfreport_steps"]["APP.held"]["max"], run["selfreport_steps"]
assert run["selfreport"]["APP.held"] == 1000 * m * (m + 1) / 2
assert e["rss_at_end_source"] == "the last step's peak RSS"
assert e["rss_at_end_bytes"] == run["rss"]["last_bytes"]
assert abs(e["overhead_at_end"] - e["rss_at_end_bytes"] / e["live_at_end_bytes"]) <= 1e-9 * e["overhead_at_end"]
PY
pass "exec --repeat: live at end = the last step's held ($steps steps)"

# a step too small to raise its peak RSS above the driver's: no step peak
soak run --db "$DB" --config "$T/soak.ini" -w exec --repeat -d 1s -i 200ms --no-progress -q -- \
  sh -c 'echo "[APP] held=1000"' || fail "small-step run exited $?"
soak report --db "$DB" --format json 4 > "$T/q.json"
why=$(json_get "$T/q.json" 'j["runs"][0]["efficiency"]["overhead_at_end_unavailable"]')
case $why in *"no step's own peak RSS was measured"*) ;; *) fail "small steps: overhead at end '$why'" ;; esac
[ "$(json_get "$T/q.json" 'j["runs"][0]["efficiency"]["live_at_end_bytes"]')" = 1000 ] || fail "small steps: live at end"
pass "exec --repeat without step peaks: $why"

# refused declarations: one line, exit 2, no run
before=$(q "select count(*) from runs")
for decl in 'live_bytes = held bytes' 'live_byte = held'; do
  printf '[selfreport.APP]\n%s\n' "$decl" > "$T/bad.ini"
  rc=0; out=$(soak run --db "$DB" --config "$T/bad.ini" -w exec -d 1s --no-progress -- true 2>&1) || rc=$?
  [ "$rc" = 2 ] || fail "'$decl': exit $rc ($out)"
  [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "bad.ini.*\[selfreport.APP\]" \
    || fail "'$decl' said: $out"
  pass "refused '$decl': $out"
done
[ "$(q "select count(*) from runs")" = "$before" ] || fail "a bad declaration recorded a run"
assert_no_cgroups
