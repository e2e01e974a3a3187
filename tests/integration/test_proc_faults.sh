#!/usr/bin/env bash
# Processes and statuses (docs/faults.md, rows 2, 5, 8, 9, 10): no process
# outlives its run and every run ends with the status it earned, each against
# ground truth: an exit code, a status, a pid that must be gone, a time bound.
# Every soakctl here runs under `timeout -s KILL` so a regression fails the
# test instead of hanging it.
source "$(dirname "$0")/lib.sh"
cd "$T"
run() { timeout -s KILL 60 "$SOAKCTL" run --db "$DB" --no-progress -q "$@"; }
last() { q "select $1 from runs where id=(select max(id) from runs)"; }
gone() { # gone PID: dead (a zombie of a non-reaping PID 1 counts as dead)
  local s; s=$(awk '/^State:/ {print $2}' /proc/$1/status 2>/dev/null || true)
  [ -z "$s" ] || [ "$s" = Z ]
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

# Row 2: a command that exits 0 leaving `yes` writing to the shared stdout.
t0=$(now); rc=0
run -w exec -d 3s -- sh -c "yes & echo \$! > $T/yes; exit 0" || rc=$?
e=$(elapsed $t0)
[ $rc = 0 ] || fail "row 2: soakctl exited $rc after $e s (137: it hung and was killed)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10 else 1)" "$e" || fail "row 2: took $e s"
[ "$(last status)" = ok ] || fail "row 2: status $(last status)"
gone "$(cat "$T/yes")" || fail "row 2: yes ($(cat "$T/yes")) still runs"
[ "$(q "select count(*) from events where run_id=(select max(id) from runs) and kind='leftovers_killed'")" = 1 ] \
  || fail "row 2: no leftovers_killed event"
pass "row 2: sh -c 'yes & exit 0' ends in $e s, ok, yes killed, event recorded"

# Row 5: an exec soak stopped at its duration is ok, bare or under a wrapper.
run -w exec -d 1s -- sleep 1000 || fail "row 5: exited $?"
[ "$(last status)" = ok ] || fail "row 5: sleep 1000 stopped at its duration is '$(last status)' (signal $(last signal))"
[ "$(last signal)" = 15 ] || fail "row 5: signal $(last signal), expected 15 (SIGTERM)"
run -w exec -d 1s -- sh -c 'sleep 1000; exit 3' || fail "row 5: exited $?"
[ "$(last status)" = ok ] || fail "row 5: sh -c stopped at its duration is '$(last status)' ($(last exit_code)/$(last signal))"
# ... but a command that crashes on its own is still crashed.
run -w exec -d 5s -- sh -c 'kill -SEGV $$' || fail "row 5: exited $?"
[ "$(last status)" = crashed ] || fail "row 5: a self-inflicted SIGSEGV is '$(last status)'"
pass "row 5: stopped at duration -> ok (bare and wrapped); own SIGSEGV -> crashed"

# Row 8: an OOM kill below a wrapper that turns it into exit 137.
run -w exec -d 30s --memory-max 64M --swap-max 0 -- \
  sh -c 'python3 -c "b = bytearray(1 << 30)"; exit $?' || fail "row 8: exited $?"
[ "$(last status)" = oom-killed ] || fail "row 8: status '$(last status)', exit $(last exit_code), expected oom-killed"
[ "$(last exit_code)" = 137 ] || fail "row 8: the wrapper's exit code $(last exit_code) not recorded"
pass "row 8: OOM below sh -c (exit 137) -> oom-killed"

# Row 9: exec --repeat whose step leaves a grandchild holding the pipe.
run -w exec --repeat -d 3s -i 200ms --grace 2s -- sh -c "sleep 30 & echo \$! >> $T/gc9; echo 'Throughput = 5 ops/s'" \
  || fail "row 9: exited $?"
id=$(q "select max(id) from runs")
[ "$(last status)" = ok ] || fail "row 9: status '$(last status)'"
steps=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=$id and m.name='step_exit_code'")
[ "$steps" -ge 3 ] || fail "row 9: $steps steps in 3 s"
[ "$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=$id and m.name='step_throughput_ops_s' and value=5")" = "$steps" ] \
  || fail "row 9: not every step's throughput line was read"
sleep 0.2
alive=0; while read -r p; do gone "$p" || alive=$((alive+1)); done < "$T/gc9"
[ $alive = 0 ] || fail "row 9: $alive of $(wc -l < "$T/gc9") step grandchildren still run"
pass "row 9: $steps steps (was 0, timed-out), every 'sleep 30' killed at its step's end"

# Row 10: kill -9 of the runner: its grandchild dies without any later soakctl
# command (the sentinel), with and without cgroups; a normal end without a
# cgroup kills what the command left, even in another session.
for mode in cgroup no-cgroup; do
  extra=(); [ $mode = no-cgroup ] && extra=(--no-cgroup)
  rm -f "$T/gc"
  "$SOAKCTL" run --db "$DB" --no-progress -q "${extra[@]}" -w exec -d 60s -- \
    sh -c "sleep 4343 & echo \$! > $T/gc; sleep 100" &
  runner=$!
  for _ in $(seq 100); do [ -s "$T/gc" ] && break; sleep 0.1; done
  gc=$(cat "$T/gc")
  kill -9 $runner; wait $runner 2>/dev/null || true
  for _ in $(seq 30); do gone "$gc" && break; sleep 0.1; done
  gone "$gc" || { kill "$gc"; fail "row 10 ($mode): grandchild $gc outlived a runner killed with SIGKILL"; }
  if [ $mode = cgroup ]; then
    left=$(q "select cgroup_paths from runs where id=(select max(id) from runs)" |
      python3 -c 'import json,os,sys; j=json.load(sys.stdin); print(" ".join(p for k,p in j.items() if k in ("memory","cpu","unified") and p and os.path.isdir(p)))')
    [ -z "$left" ] || fail "row 10: the sentinel left $left"
  fi
  pass "row 10 ($mode): kill -9 of the runner: grandchild gone within 3 s, no soakctl command needed"
done
rm -f "$T/gc" "$T/gc2"
run --no-cgroup -w exec -d 1s -- sh -c "sleep 4344 & echo \$! > $T/gc; setsid sleep 4345 & echo \$! > $T/gc2; exit 0" \
  || fail "row 10: exited $?"
gone "$(cat "$T/gc")" || fail "row 10: --no-cgroup: the background sleep outlived the run"
gone "$(cat "$T/gc2")" || { kill "$(cat "$T/gc2")"; fail "row 10: --no-cgroup: a setsid'ed sleep outlived the run"; }
pass "row 10 (no-cgroup, normal end): background and setsid'ed children killed"
assert_no_cgroups
