#!/usr/bin/env bash
# exec: `-w exec --repeat` of a fixture that prints the seeds' throughput line
# (tests/helpers/seedtp.c) yields one sample per step with exactly the printed
# numbers: throughput, exit code, a known wall time and peak RSS; failing
# steps are recorded (step_failed events); --tp-pattern takes a custom regex;
# a nonexistent command is exit 2 with no run record; a plain exec (no
# --repeat) of `hold 10 1` ends ok when the command exits.
source "$(dirname "$0")/lib.sh"
cd "$T"
H=$SOAK_BUILD/tests
SEEDTP=$H/seedtp
[ -x "$SEEDTP" ] || fail "$SEEDTP was not built (tests/helpers/seedtp.c)"
run_id() { q "select max(id) from runs"; }
# series ID METRIC SQL-AGGREGATES: aggregates over one run's samples of METRIC.
series() { q "select $3 from samples s join metrics m on m.id=s.metric_id where s.run_id=$1 and m.name='$2'"; }

# ---- the seed's line, steps of a known length and size ----
# seedtp OPS ITER WS TIME EXIT SLEEP_MS RSS_MIB: 200 ms per step, 16 MiB touched.
soak run --db "$DB" -w exec --repeat -d 3s -i 200ms --no-progress -q -- \
  "$SEEDTP" 60276071 200000000 400 3.318 0 200 16 || fail "repeat run exited $?"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = ok ] || fail "repeat: status $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
steps=$(series "$id" step_wall_s "count(*)")
[ "$steps" -ge 5 ] && [ "$steps" -le 15 ] || fail "repeat: $steps steps of 200 ms in 3 s"
for m in step_exit_code step_peak_rss_bytes step_throughput_ops_s; do
  [ "$(series "$id" $m "count(*)")" = "$steps" ] || fail "repeat: $(series "$id" $m "count(*)") $m samples for $steps steps"
done
[ "$(series "$id" step_wall_s "count(distinct t)")" = "$steps" ] || fail "repeat: two steps share a sample time"
ops=$(series "$id" ops_total "cast(max(value) as int)")
[ "$ops" = "$steps" ] || fail "repeat: the driver counted $ops steps, $steps recorded"
[ "$(series "$id" step_throughput_ops_s "count(*)")" = "$(series "$id" step_throughput_ops_s "sum(value = 60276071)")" ] \
  || fail "repeat: throughputs $(series "$id" step_throughput_ops_s "group_concat(value)") differ from the printed 60276071"
[ "$(series "$id" step_exit_code "sum(value = 0)")" = "$steps" ] || fail "repeat: non-zero exit codes"
read -r wmin wmax < <(series "$id" step_wall_s "min(value), max(value)" | tr '|' ' ')
python3 -c "import sys; a,b=map(float,sys.argv[1:]); sys.exit(0 if 0.2 <= a and b < 0.5 else 1)" "$wmin" "$wmax" \
  || fail "repeat: step wall times $wmin .. $wmax s, expected 0.2 s plus start-up"
pmin=$(series "$id" step_peak_rss_bytes "min(value)")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 16 * 2**20 else 1)" "$pmin" \
  || fail "repeat: a step's peak RSS $pmin bytes is below the 16 MiB it touched"
[ "$(q "select count(*) from events where run_id=$id and kind='step_failed'")" = 0 ] || fail "repeat: step_failed events for exit 0"
soak report --db "$DB" --format json "$id" > "$T/r.json" || fail "report exited $?"
read -r rsteps rfailed src mean < <(json_get "$T/r.json" \
  '" ".join(str(x) for x in (j["runs"][0]["steps"]["count"], j["runs"][0]["steps"]["failed"], j["runs"][0]["throughput"]["source"], j["runs"][0]["throughput"]["mean_ops_s"]))')
[ "$rsteps" = "$steps" ] && [ "$rfailed" = 0 ] || fail "report: steps $rsteps failed $rfailed, expected $steps and 0"
# docs/metrics.md: an exec --repeat run's throughput is its steps' printed
# throughput.
[ "$src" = step_throughput_ops_s ] || fail "report: throughput source '$src' (mean $mean), expected the steps' printed throughput"
approx "$mean" 60276071 1e-9 || fail "report: mean throughput $mean, every step printed 60276071"
# A step is not an operation: nothing is divided by the driver's step count
# as if it were one. Faults are per step (labelled so), throughput per CPU
# second is unavailable (the steps print a rate, not a count).
R() { json_get "$T/r.json" "j['runs'][0]$1"; }
[ "$(R "['page_faults']['minor_per_op']")" = None ] || fail "report: minor faults per op $(R "['page_faults']['minor_per_op']") of steps"
mps=$(R "['page_faults']['minor_per_step']")
mn=$(R "['page_faults']['minor']")
python3 -c "import sys; a,b,n=map(float,sys.argv[1:]); sys.exit(0 if abs(a - b / n) <= 1e-9 * a else 1)" "$mps" "$mn" "$steps"   || fail "report: minor faults per step $mps, $mn faults / $steps steps"
[ "$(R "['tp_per_cpu_s']")" = None ] || fail "report: throughput per CPU second $(R "['tp_per_cpu_s']") from steps"
R "['tp_per_cpu_s_unavailable']" | grep -q "not an operation count" || fail "report: tp_per_cpu_s without its reason"
soak report --db "$DB" "$id" > "$T/r.md"
grep -q "Minor faults/step" "$T/r.md" || fail "report: no per-step fault column"
pass "exec --repeat: $steps steps, one sample each: 60276071 ops/s, exit 0, $wmin..$wmax s, peak >= 16 MiB"

# ---- failing steps, a fractional throughput ----
soak run --db "$DB" -w exec --repeat -d 1s -i 200ms --no-progress -q -- "$SEEDTP" 1234.5 777 400 0.1 3 100 \
  || fail "failing-step run exited $?"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = ok ] || fail "failing steps: run status $(q "select status from runs where id=$id")"
steps=$(series "$id" step_exit_code "count(*)")
[ "$steps" -ge 3 ] || fail "failing steps: only $steps steps"
[ "$(series "$id" step_exit_code "sum(value = 3)")" = "$steps" ] || fail "failing steps: exit codes $(series "$id" step_exit_code "group_concat(value)")"
[ "$(q "select count(*) from events where run_id=$id and kind='step_failed' and detail like 'step % exited 3'")" = "$steps" ] \
  || fail "failing steps: $(q "select count(*) from events where run_id=$id and kind='step_failed'") step_failed events for $steps steps"
[ "$(series "$id" step_throughput_ops_s "sum(value = 1234.5)")" = "$steps" ] || fail "failing steps: throughput not 1234.5"
soak report --db "$DB" --format json "$id" > "$T/r.json" || fail "report exited $?"
[ "$(json_get "$T/r.json" 'j["runs"][0]["steps"]["failed"]')" = "$steps" ] || fail "report: failed steps not $steps"
pass "failing steps: $steps steps exit 3, each a step_failed event, throughput 1234.5"

# ---- --tp-pattern ----
soak run --db "$DB" -w exec --repeat --tp-pattern 'iter=([0-9]+)' -d 1s -i 200ms --no-progress -q -- \
  "$SEEDTP" 1 4242 400 0.1 0 100 || fail "tp-pattern run exited $?"
id=$(run_id)
steps=$(series "$id" step_throughput_ops_s "count(*)")
[ "$steps" -ge 3 ] && [ "$(series "$id" step_throughput_ops_s "sum(value = 4242)")" = "$steps" ] \
  || fail "--tp-pattern: throughputs $(series "$id" step_throughput_ops_s "group_concat(value)"), expected 4242"
# A pattern that does not match leaves the throughput unmeasured (NULL), not 0.
soak run --db "$DB" -w exec --repeat --tp-pattern 'nomatch=([0-9]+)' -d 1s -i 200ms --no-progress -q -- \
  "$SEEDTP" 1 4242 400 0.1 0 100 || fail "tp-pattern run exited $?"
id=$(run_id)
[ "$(series "$id" step_throughput_ops_s "count(*) > 0 and count(value) = 0")" = 1 ] \
  || fail "--tp-pattern without a match: $(series "$id" step_throughput_ops_s "group_concat(coalesce(value,'NULL'))")"
before=$(q "select count(*) from runs")
rc=0
soak run --db "$DB" -w exec --repeat --tp-pattern '([0-9' -d 1s --no-progress -q -- "$SEEDTP" 1 2 3 4 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(q "select count(*) from runs")" = "$before" ] \
  || fail "an invalid --tp-pattern: soakctl exit $rc, runs $(q "select count(*) from runs") (before $before)"
pass "--tp-pattern: a custom regex; no match is NULL; an invalid one is refused: $(cat "$T/err")"

# ---- a nonexistent command: exit 2, one line, no run record ----
for cmd in soak-no-such-command "$T/no-such-command"; do
  for mode in "" --repeat; do
    rc=0
    # shellcheck disable=SC2086
    soak run --db "$DB" -w exec $mode -d 1s -i 200ms --no-progress -q -- "$cmd" 2> "$T/err" || rc=$?
    if [ $rc = 2 ]; then
      [ "$(wc -l < "$T/err")" = 1 ] && grep -qF "$cmd" "$T/err" || fail "nonexistent $cmd ($mode): message $(cat "$T/err")"
      [ "$(q "select count(*) from runs")" = "$before" ] || fail "nonexistent $cmd ($mode): a run was recorded"
    else
      fail "nonexistent $cmd ($mode): exit $rc, $(cat "$T/err")"
    fi
  done
done
pass "nonexistent command: exit 2, one line, no run record"

# ---- self-reported counters and maxima over steps ----
# Step k prints max_kb = 10 k and frees = 2: a maximum's whole run is the
# largest step's (not the sum of all peaks), a counter's the sum.
cat > "$T/step.sh" <<'SH'
n=$(cat "$0.n" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$0.n"
echo "[RSS] max_kb=$((n * 10)) frees=2"
SH
soak run --db "$DB" -w exec --repeat -d 2s -i 200ms --no-progress -q -- sh "$T/step.sh" || fail "selfreport run exited $?"
id=$(run_id)
soak report --db "$DB" --format json "$id" > "$T/r.json" || fail "report exited $?"
read -r mx smax sn fr < <(json_get "$T/r.json" '" ".join(str(x) for x in (j["runs"][0]["selfreport"]["RSS.max_kb"],
  j["runs"][0]["selfreport_steps"]["RSS.max_kb"]["max"], j["runs"][0]["selfreport_steps"]["RSS.max_kb"]["steps"],
  j["runs"][0]["selfreport"]["RSS.frees"]))')
python3 -c "import sys; n=float(sys.argv[3]); sys.exit(0 if n >= 2 and float(sys.argv[1]) == float(sys.argv[2]) == 10 * n else 1)" \
  "$mx" "$smax" "$sn" || fail "RSS.max_kb whole run $mx, step max $smax, $sn steps (want 10 x steps)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) == 2 * float(sys.argv[2]) else 1)" "$fr" "$sn" \
  || fail "RSS.frees whole run $fr, want 2 x $sn steps"
pass "self-reported over $sn steps: max_kb = the largest step's $mx, frees = the sum $fr"

# ---- plain exec: ends when the command does ----
soak run --db "$DB" -w exec -d 5s -i 100ms --no-progress -q -- "$H/hold" 10 1 || fail "plain exec exited $?"
id=$(run_id)
got=$(q "select status, exit_code, signal is null, message is null from runs where id=$id")
[ "$got" = "ok|0|1|1" ] || fail "plain exec: status|exit|no signal|no message = $got"
last=$(q "select max(t) from samples where run_id=$id")
python3 -c "import sys; t=float(sys.argv[1]); sys.exit(0 if 1.0 <= t < 3.0 else 1)" "$last" \
  || fail "plain exec: last sample at $last s, the command held for 1 s of a 5 s run"
[ "$(q "select count(*) from events where run_id=$id and kind='stop_requested'")" = 0 ] || fail "plain exec: a stop was requested"
out=$(q "select group_concat(cast(data as text), '') from (select data from logs where run_id=$id and stream='stdout' order by id)")
[ "$out" = "held 10485760 bytes" ] || fail "plain exec: stdout '$out'"
rss=$(series "$id" rss_bytes "max(value)")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 10 * 2**20 else 1)" "$rss" || fail "plain exec: max rss $rss"
assert_no_cgroups
pass "plain exec of hold 10 1: ok after ${last}s, stdout kept, rss >= 10 MiB"
