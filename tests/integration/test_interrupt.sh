#!/usr/bin/env bash
# SIGTERM to the runner: the worker is stopped, samples flushed, status
# interrupted, exit 143 (SIGINT: 130), so `soakctl run ... && next` stops;
# the same for compare and plan run (compare once exited 0, plan run 1).
# kill -9 of the runner: the worker dies with it, and the next soakctl
# command marks the run incomplete, removes its cgroups and reports it.
source "$(dirname "$0")/lib.sh"

"$SOAKCTL" run --db "$DB" -w random_mixed -d 60s -i 100ms --no-progress -q &
runner=$!
sleep 3
kill -TERM $runner
rc=0; wait $runner || rc=$?
[ $rc -eq 143 ] || fail "runner exited $rc after SIGTERM, expected 143 (128 + SIGTERM)"
[ "$(q "select status from runs where id=1")" = interrupted ] || fail "status $(q 'select status from runs where id=1')"
n=$(q "select count(*) from samples where run_id=1 and t > 1")
[ "$n" -gt 10 ] || fail "only $n samples kept after SIGTERM"
assert_no_cgroups
pass "SIGTERM: exit 143, interrupted with $n samples"

# A signal to the whole job (scancel, kill -TERM -PGID) may reach the worker
# first: it stops (exit 0) or dies before the runner reads its own copy. The
# run was recorded ok (or crashed); it is interrupted.
for k in 1 2; do
  "$SOAKCTL" run --db "$T/job.db" -w random_mixed -d 60s -i 100ms --no-progress -q &
  runner=$!
  for _ in $(seq 100); do
    worker=$(sqlite3 "$T/job.db" "select worker_pid from runs where id = $k" 2>/dev/null || true)
    [ -n "$worker" ] && [ "$(sqlite3 "$T/job.db" "select count(*) from samples where run_id = $k")" -gt 5 ] && break
    sleep 0.1
  done
  [ -n "$worker" ] || fail "job-wide SIGTERM: no worker pid recorded"
  kill -TERM "$worker"; sleep 0.05; kill -TERM $runner
  rc=0; wait $runner || rc=$?
  st=$(sqlite3 "$T/job.db" "select status from runs where id = $k")
  [ $rc -eq 143 ] && [ "$st" = interrupted ] || fail "job-wide SIGTERM, worker first: exit $rc, status $st (want 143, interrupted)"
done
assert_no_cgroups
pass "job-wide SIGTERM reaching the worker first: exit 143, interrupted (2 of 2)"

# SIGTERM to the worker alone (someone's kill; the runner gets none): the
# worker stops cleanly and exits 0, and the 60 s run ending at 3 s was
# recorded ok. It is interrupted, and says who sent the signal.
"$SOAKCTL" run --db "$T/alone.db" -w random_mixed -d 60s -i 100ms --no-progress -q &
runner=$!
for _ in $(seq 100); do
  worker=$(sqlite3 "$T/alone.db" "select worker_pid from runs where id = 1" 2>/dev/null || true)
  [ -n "$worker" ] && [ "$(sqlite3 "$T/alone.db" "select count(*) from samples where run_id = 1")" -gt 5 ] && break
  sleep 0.1
done
[ -n "$worker" ] || fail "worker alone: no worker pid recorded"
kill -TERM "$worker"
rc=0; wait $runner || rc=$?
st=$(sqlite3 "$T/alone.db" "select status from runs where id = 1")
msg=$(sqlite3 "$T/alone.db" "select message from runs where id = 1")
ev=$(sqlite3 "$T/alone.db" "select count(*) from events where run_id = 1 and kind = 'interrupted' and detail = '$msg'")
[ $rc -eq 0 ] && [ "$st" = interrupted ] || fail "SIGTERM to the worker alone: exit $rc, status $st (want 0: the runner was not interrupted; interrupted)"
case "$msg" in
  "the worker got SIGTERM from pid $BASHPID, not from this runner, and stopped at t="*"s: the run was cut short") ;;
  *) fail "SIGTERM to the worker alone: message '$msg' does not name the sender (pid $BASHPID)" ;;
esac
[ "$ev" = 1 ] || fail "SIGTERM to the worker alone: no interrupted event with the message"
assert_no_cgroups
pass "SIGTERM to the worker alone: interrupted, exit 0, sender pid $BASHPID named"


"$SOAKCTL" run --db "$DB" -w random_mixed -d 60s -i 100ms --no-progress -q &
runner=$!
sleep 3
worker=$(q "select worker_pid from runs where id=2")
kill -9 $runner
wait $runner || true
sleep 0.5
[ -n "$worker" ] || fail "worker pid not recorded"
# A zombie is dead (this VM's PID 1 does not reap orphans): alive = not Z.
state=$(awk '/^State:/ {print $2}' /proc/$worker/status 2>/dev/null || true)
[ -z "$state" ] || [ "$state" = Z ] || fail "worker $worker outlived its runner (state $state)"
[ "$(q "select status from runs where id=2")" = running ] || fail "status changed before any command ran"
soak report --db "$DB" --format json 2 > "$T/r.json" || fail "report after kill -9 failed"
[ "$(q "select status from runs where id=2")" = incomplete ] || fail "run 2 not marked incomplete"
[ "$(json_get "$T/r.json" "j['runs'][0]['status']")" = incomplete ] || fail "report does not show incomplete"
n=$(q "select count(*) from samples where run_id=2")
[ "$n" -gt 10 ] || fail "samples of the killed run lost ($n)"
assert_no_cgroups
pass "kill -9: incomplete, $n samples, worker gone, cgroups removed"

# SIGINT (Ctrl-C) during run, then during compare.
"$SOAKCTL" run --db "$DB" -w random_mixed -d 60s -i 100ms --no-progress -q &
runner=$!
sleep 2
kill -INT $runner
rc=0; wait $runner || rc=$?
[ $rc -eq 130 ] || fail "runner exited $rc after SIGINT, expected 130 (128 + SIGINT)"
[ "$(q "select status from runs where id=(select max(id) from runs)")" = interrupted ] || fail "SIGINT: status not interrupted"
"$SOAKCTL" compare system system --db "$DB" -d 30s -i 100ms --no-progress -q > "$T/cmp.md" 2> "$T/cmp.err" &
runner=$!
sleep 3
kill -INT $runner
rc=0; wait $runner || rc=$?
[ $rc -eq 130 ] || fail "compare exited $rc after SIGINT, expected 130: $(cat "$T/cmp.err")"
grep -q "interrupted" "$T/cmp.err" || fail "compare did not say it was interrupted"
grep -q "Competitive position" "$T/cmp.md" || fail "compare did not report what was recorded"
[ "$(q "select status from runs where id=(select max(id) from runs)")" = interrupted ] || fail "compare: last run not interrupted"
pass "SIGINT: run exits 130, compare exits 130 and still reports; runs interrupted"

# plan run shares compare's rounds: SIGTERM exits 143 and SIGHUP 129 (it
# exited 1, the gate's failure code), the run in progress is recorded
# interrupted, and the line says how to resume.
cat > "$T/plan.ini" <<INI
[plan]
label = night
allocators = system
duration = 30s
interval = 100ms
repeats = 3
[workload.rm]
name = random_mixed
INI
for sig in TERM HUP; do
  before=$(q "select count(*) from runs")
  "$SOAKCTL" plan run "$T/plan.ini" --db "$DB" -q 2> "$T/plan.err" &
  runner=$!
  for _ in $(seq 100); do [ "$(q "select count(*) from runs")" -gt "$before" ] && break; sleep 0.1; done
  sleep 1
  kill -$sig $runner
  rc=0; wait $runner || rc=$?
  want=$((128 + $(kill -l $sig)))
  [ $rc -eq $want ] || fail "plan exited $rc after SIG$sig, expected $want: $(cat "$T/plan.err")"
  grep -q "interrupted (1 run recorded); run it again with --label night to resume" "$T/plan.err" \
    || fail "plan after SIG$sig: $(cat "$T/plan.err")"
  [ "$(q "select count(*) from runs")" = $((before + 1)) ] || fail "plan after SIG$sig: not one run recorded"
  [ "$(q "select status from runs where id=(select max(id) from runs)")" = interrupted ] \
    || fail "plan after SIG$sig: last run not interrupted"
done
assert_no_cgroups
pass "plan run: SIGTERM exits 143, SIGHUP 129; the run in progress interrupted"
