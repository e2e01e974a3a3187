#!/usr/bin/env bash
# The nightly path under faults (docs/faults.md rows 14-18): merges that run
# at the same time lose no run; a merge into a database a run is writing waits
# for the run and leaves both intact; a full disk during a merge is an error
# with the output untouched; an output path that is a database is refused; a
# newest night whose runs crashed fails gate --history. Ground truth: run
# counts and row counts of the inputs, sqlite's integrity_check, exit codes.
source "$(dirname "$0")/lib.sh"
SY=$SOAK_BUILD/tests/synthdb
[ -x "$SY" ] || fail "synthdb not built ($SY)"
# Two inputs of 600 runs each, distinct uuids (different seeds).
"$SY" "$T/A.db" sysA 60 10 100 0.02 -1 0 1 5 >/dev/null
"$SY" "$T/B.db" sysB 60 10 100 0.02 -1 0 2 5 >/dev/null
"$SY" "$T/small.db" sysS 2 1 100 0.02 -1 0 3 5 >/dev/null
nA=$(sqlite3 "$T/A.db" "select count(*) from runs"); nB=$(sqlite3 "$T/B.db" "select count(*) from runs")
[ "$nA" = 600 ] && [ "$nB" = 600 ] || fail "inputs: $nA and $nB runs, want 600 each"

# 1. Two merges into one OUT at once, a new OUT and an existing one.
for start in new existing; do
  rm -f "$T/cc.db"*
  [ $start = existing ] && cp "$T/small.db" "$T/cc.db"
  soak merge -q "$T/cc.db" "$T/A.db" & p1=$!
  soak merge -q "$T/cc.db" "$T/B.db" & p2=$!
  wait $p1 || fail "first concurrent merge ($start OUT) exited $?"
  wait $p2 || fail "second concurrent merge ($start OUT) exited $?"
  want=$((nA + nB)); [ $start = existing ] && want=$((want + 2))
  got=$(sqlite3 "$T/cc.db" "select count(*) from runs")
  [ "$got" = "$want" ] || fail "concurrent merges into a $start OUT: $got runs, want $want"
  [ -z "$(ls "$T" | grep 'merge-')" ] || fail "temporary files left: $(ls "$T")"
done
pass "two merges at once into a new and an existing OUT: every run kept"

# 2. A merge into a database a run is writing waits for the run to end.
soak run --db "$T/w.db" -w tiny_hot -d 3s -i 500ms -q --no-progress & rp=$!
for _ in $(seq 100); do [ "$(sqlite3 "$T/w.db" "select count(*) from samples" 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.05; done
soak merge -q "$T/w.db" "$T/small.db" || fail "merge into a database being written exited $?"
wait $rp || fail "the run being merged into exited $?"
[ "$(sqlite3 "$T/w.db" "pragma integrity_check")" = ok ] || fail "w.db damaged"
[ "$(sqlite3 "$T/w.db" "select count(*) from runs where status = 'ok'")" = 3 ] \
  || fail "runs in w.db: $(sqlite3 "$T/w.db" "select id, status from runs")"
ns=$(sqlite3 "$T/w.db" "select count(*) from samples s join runs r on r.id = s.run_id where r.workload = 'tiny_hot'")
[ "$ns" -gt 20 ] || fail "the run's samples: $ns rows"
# A real run with the default warm-up (found at report time, stored -1) is no impossible value.
soak merge -q "$T/w2.db" "$T/w.db" || fail "merging a run with the default warm-up exited $?"
pass "merge during a run: waited, run ok with $ns sample rows, 2 runs merged, integrity ok"

# 3. A full disk: exit 2, one line, OUT unchanged, nothing left beside it.
mkdir "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" || fail "cannot mount a tmpfs"
trap 'umount "$T/full" 2>/dev/null || true; cleanup' EXIT
cp "$T/small.db" "$T/full/out.db"
sum=$(sha256sum < "$T/full/out.db")
set +e; soak merge "$T/full/out.db" "$T/A.db" 2> "$T/full.err"; rc=$?; set -e
[ $rc = 2 ] || fail "merge onto a full disk exited $rc: $(cat "$T/full.err")"
grep -q "No space left on device" "$T/full.err" || fail "no ENOSPC line: $(cat "$T/full.err")"
[ "$(wc -l < "$T/full.err")" = 1 ] || fail "more than one line: $(cat "$T/full.err")"
[ "$(sha256sum < "$T/full/out.db")" = "$sum" ] || fail "OUT changed by a failed merge"
[ "$(ls "$T/full")" = out.db ] || fail "left beside OUT: $(ls "$T/full")"
umount "$T/full"; trap cleanup EXIT
pass "full disk: exit 2, '$(cat "$T/full.err")', OUT unchanged"

# 4. An output path that is the database is refused; the database survives.
# (history caches summaries in it: the runs and their rows are compared)
cp "$T/small.db" "$T/x.db"; sum=$(sqlite3 "$T/x.db" ".dump runs samples run_values events" | sha256sum)
for cmd in "report --db $T/x.db -o $T/x.db 1" "history --db $T/x.db --output $T/x.db" \
           "gate --db $T/x.db --latest --junit $T/x.db" "report --db $T/x.db -o $T/A.db 1"; do
  set +e; soak $cmd > /dev/null 2> "$T/o.err"; rc=$?; set -e
  [ $rc = 2 ] || fail "$cmd: exit $rc"
  grep -q "is an SQLite database" "$T/o.err" || fail "$cmd: $(cat "$T/o.err")"
done
[ "$(sqlite3 "$T/x.db" ".dump runs samples run_values events" | sha256sum)" = "$sum" ] || fail "the database was overwritten"
[ "$(sqlite3 "$T/A.db" "select count(*) from runs")" = 600 ] || fail "an input was overwritten"
pass "an output path naming a database: refused, exit 2"

# 6. A merge killed (-9) leaves its file; the next merge removes it. SIGINT:
# exit 130, its file removed, OUT unchanged.
"$SY" "$T/big.db" sysK 300 10 100 0.02 -1 0 5 5 >/dev/null
cp "$T/small.db" "$T/k.db"
"$SOAKCTL" merge -q "$T/k.db" "$T/big.db" & p=$!   # not through soak(): $! must be soakctl
for _ in $(seq 200); do ls "$T" | grep -q 'k.db.merge-......$' && break; sleep 0.01; done
sleep 0.2; kill -9 $p; wait $p || true
ls "$T" | grep -q 'k.db.merge-' || fail "kill -9 came too late to leave a file (make big.db larger)"
soak merge -q "$T/k.db" "$T/small.db" || fail "merge after a killed one exited $?"
[ -z "$(ls "$T" | grep 'k.db.merge-')" ] || fail "a killed merge's files are still there: $(ls "$T")"
# (a loaded host may finish the merge before the signal lands: then it must be
# whole, and the case is tried again on a fresh OUT)
for try in 1 2 3; do
  cp "$T/small.db" "$T/k.db"
  "$SOAKCTL" merge -q "$T/k.db" "$T/big.db" 2> "$T/int.err" & p=$!
  for _ in $(seq 200); do ls "$T" | grep -q 'k.db.merge-......$' && break; sleep 0.01; done
  sleep 0.1; kill -INT $p; set +e; wait $p; rc=$?; set -e
  [ $rc = 0 ] || break
  [ "$(sqlite3 "$T/k.db" "select count(*) from runs")" = 3002 ] || fail "a merge that exited 0 is not whole"
done
[ $rc = 130 ] || fail "merge interrupted by SIGINT exited $rc: $(cat "$T/int.err")"
grep -q "interrupted by signal 2 (.*k.db unchanged)" "$T/int.err" || fail "SIGINT line: $(cat "$T/int.err")"
[ -z "$(ls "$T" | grep 'k.db.merge-')" ] || fail "an interrupted merge left: $(ls "$T")"
[ "$(sqlite3 "$T/k.db" "select count(*) from runs")" = 2 ] || fail "OUT changed by an interrupted merge"
pass "merge killed: its files removed by the next merge; SIGINT: exit 130, OUT unchanged"

# 7. A run still running in an input is not copied, and said so.
cp "$T/small.db" "$T/r.db"
sqlite3 "$T/r.db" "update runs set status = 'running', ended_at = null where id = 2"
soak merge "$T/o2.db" "$T/r.db" 2> "$T/r.err" || fail "merge exited $?: $(cat "$T/r.err")"
[ "$(sqlite3 "$T/o2.db" "select group_concat(status) from runs")" = ok ] || fail "a running run was copied"
grep -q "1 run still running in the inputs not copied" "$T/r.err" || fail "not said: $(cat "$T/r.err")"
pass "a running run in an input: not copied, named"

# 8. Impossible values in an input are refused by merge, naming run and value.
# An exec command killed by a signal records step_exit_code -1: possible.
soak run --db "$T/sig.db" -w exec -d 1s -i 200ms --no-progress -q -- sleep 30 || fail "exec run exited $?"
[ "$(sqlite3 "$T/sig.db" "select min(value) from samples_named where metric = 'step_exit_code'")" = -1.0 ] \
  || fail "the killed command did not record step_exit_code -1"
soak report --db "$T/sig.db" 1 > /dev/null 2> "$T/sig.err" || fail "a killed exec command's run refused: $(cat "$T/sig.err")"
pass "step_exit_code -1 (a command killed by a signal) is not an impossible value"
upd() { sqlite3 "$T/bad.db" "update sample_values set value = $2 where run_id = 2 and metric_id =
  (select id from metrics where name = '$1') and t = (select $3(t) from sample_values where run_id = 2)"; }
for edit in "status:update runs set status = '' where id = 2:status '' is not one soakctl writes" \
            "warmup:update runs set warmup_s = 1e308 where id = 2:warmup_s = 1.0e+308 s is outside" \
            "rss:upd rss_bytes -1e300 min:rss_bytes = -1.0e+300 at t = 0.0 s is negative" \
            "ops:upd ops_total 1 max:ops_total goes down from"; do
  IFS=: read -r name sql want <<<"$edit"
  cp "$T/small.db" "$T/bad.db"
  case $sql in "upd "*) $sql ;; *) sqlite3 "$T/bad.db" "$sql" ;; esac
  rm -f "$T/o3.db"
  set +e; soak merge "$T/o3.db" "$T/bad.db" 2> "$T/bad.err"; rc=$?; set -e
  [ $rc = 2 ] || fail "impossible $name: merge exit $rc"
  grep -q "has an impossible value: $want" "$T/bad.err" || fail "impossible $name: $(cat "$T/bad.err")"
  [ ! -e "$T/o3.db" ] || fail "impossible $name: an output was written"
  # Read side: report and gate refuse the run, history leaves it out with the
  # reason and gate --history fails its night (run 2 is the newest night's).
  set +e; soak report --db "$T/bad.db" 2 > /dev/null 2> "$T/rep.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "run 2 has an impossible value: $want" "$T/rep.err" \
    || fail "impossible $name: report exit $rc: $(cat "$T/rep.err")"
  [ "$(wc -l < "$T/rep.err")" = 1 ] || fail "impossible $name: report said more than one line: $(cat "$T/rep.err")"
  set +e; soak gate --db "$T/bad.db" 2 > /dev/null 2> "$T/gl.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "run 2 has an impossible value: $want" "$T/gl.err" \
    || fail "impossible $name: gate exit $rc: $(cat "$T/gl.err")"
  [ $name = status ] && continue   # not ok: left out of history as before
  soak history --db "$T/bad.db" > "$T/h.md" 2>&1 || fail "impossible $name: history exit $?: $(cat "$T/h.md")"
  grep -q "1 run with an impossible value left out (run 2: $want" "$T/h.md" \
    || fail "impossible $name: history does not say so: $(head -4 "$T/h.md")"
  set +e; soak gate --history --db "$T/bad.db" > "$T/gh" 2>&1; rc=$?; set -e
  [ $rc = 1 ] && grep -q "run 2 has an impossible value: $want" "$T/gh" \
    || fail "impossible $name: gate --history exit $rc: $(cat "$T/gh")"
done
pass "impossible values (status '', warm-up 1e308, negative RSS, a counter going down): merge, report and gate refuse, history leaves out, gate --history fails"
# The same in the wide table (sample_rows, a column per metric), where most
# samples of a real run are: checked by a scan in C since the check through the
# samples view cost more than half of a cold history; the text is the same.
col() { sqlite3 "$T/sig.db" "select c.col from sample_columns c join metrics m on m.id = c.metric_id where c.run_id = 1 and m.name = '$1'"; }
cm=$(col minflt); cr=$(col rss_bytes)
[ -n "$cm" ] && [ -n "$cr" ] || fail "the exec run has no wide minflt/rss_bytes column"
for edit in "v$cm = 1 where run_id = 1 and t = (select max(t) from sample_rows where run_id = 1):minflt goes down from [0-9.]* to 1.0 at t = [0-9.]* s (a counter)" \
            "v$cr = -7 where run_id = 1 and t = (select min(t) from sample_rows where run_id = 1):rss_bytes = -7.0 at t = [0-9.]* s is negative"; do
  cp "$T/sig.db" "$T/wide.db"
  sqlite3 "$T/wide.db" "update sample_rows set ${edit%%:*}"
  set +e; soak report --db "$T/wide.db" 1 > /dev/null 2> "$T/wide.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "run 1 has an impossible value: ${edit#*:}" "$T/wide.err" \
    || fail "wide ${edit%%:*}: exit $rc: $(cat "$T/wide.err")"
  rm -f "$T/o4.db"
  set +e; soak merge "$T/o4.db" "$T/wide.db" 2> "$T/wide.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "has an impossible value: ${edit#*:}" "$T/wide.err" \
    || fail "wide ${edit%%:*}: merge exit $rc: $(cat "$T/wide.err")"
done
pass "impossible values in the wide sample table: a counter going down, a negative RSS"

# 9. Read commands work on a read-only file system; merge says why it cannot
# take an input from there.
mkdir "$T/ro"
mount -t tmpfs -o size=4m tmpfs "$T/ro" || fail "cannot mount a tmpfs"
trap 'umount "$T/ro" 2>/dev/null || true; cleanup' EXIT
cp "$T/small.db" "$T/ro/x.db"
mount -o remount,ro "$T/ro"
soak report --db "$T/ro/x.db" 1 > "$T/ro.md" || fail "report on a read-only file system exited $?"
grep -q "sysS" "$T/ro.md" || fail "report on a read-only file system: $(head -3 "$T/ro.md")"
soak runs --db "$T/ro/x.db" > /dev/null || fail "runs on a read-only file system exited $?"
soak history --db "$T/ro/x.db" > /dev/null || fail "history on a read-only file system exited $?"
set +e; soak merge "$T/o4.db" "$T/ro/x.db" 2> "$T/ro.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "is on a read-only file system" "$T/ro.err" || fail "merge of a read-only input: $rc $(cat "$T/ro.err")"
umount "$T/ro"; trap cleanup EXIT
pass "read-only file system: report, runs, history read it; merge says why not"

# 5. gate --history: a newest night whose runs all crashed fails, naming them.
"$SY" "$T/g.db" sysG 6 3 100 0.02 -1 0 4 10 >/dev/null
soak gate --history --db "$T/g.db" > "$T/g0" || fail "clean history: gate exit $?: $(cat "$T/g0")"
sqlite3 "$T/g.db" "update runs set status = 'crashed' where label = (select max(label) from runs)"
set +e; soak gate --history --db "$T/g.db" > "$T/g1"; rc=$?; set -e
[ $rc = 1 ] || fail "crashed newest night: gate exit $rc, want 1: $(cat "$T/g1")"
grep -q "newest night nightly-2026-01-06: 3 runs did not end ok (run 16 crashed" "$T/g1" \
  || fail "the crashed night is not named: $(cat "$T/g1")"
# Stray unlabelled runs, one recorded after the crashed night, are no night:
# they are left out (and counted), and the crashed night still fails.
"$SY" "$T/stray.db" sysG 7 1 100 0.02 -1 0 9 10 >/dev/null
sqlite3 "$T/stray.db" "update runs set label = null"
cp "$T/g.db" "$T/gs.db"; soak merge -q "$T/gs.db" "$T/stray.db" || fail "merging the stray runs exited $?"
set +e; soak gate --history --db "$T/gs.db" > "$T/gs"; rc=$?; set -e
[ $rc = 1 ] || fail "a stray unlabelled run after a crashed night: gate exit $rc, want 1: $(cat "$T/gs")"
grep -q "newest night nightly-2026-01-06: 3 runs did not end ok" "$T/gs" || fail "stray run: $(cat "$T/gs")"
grep -q "7 runs without a label left out" "$T/gs" || fail "the unlabelled runs are not counted: $(cat "$T/gs")"
soak history --db "$T/gs.db" > "$T/gs.md" || fail "history with unlabelled runs exited $?"
grep -q "7 runs without a label left out" "$T/gs.md" || fail "history does not count them: $(head -3 "$T/gs.md")"
# Asked for, each unlabelled run's start date is a night (the old grouping).
set +e; soak gate --history --unlabelled-nights --db "$T/gs.db" > "$T/gu"; rc=$?; set -e
[ $rc -le 1 ] && ! grep -q "without a label" "$T/gu" || fail "--unlabelled-nights: exit $rc: $(cat "$T/gu")"
# One run of the night crashed, the others ok: still a failure.
sqlite3 "$T/g.db" "update runs set status = 'ok' where id in (17, 18)"
set +e; soak gate --history --db "$T/g.db" > "$T/g2"; rc=$?; set -e
[ $rc = 1 ] && grep -q "1 run did not end ok (run 16 crashed)" "$T/g2" || fail "one crashed run: exit $rc: $(cat "$T/g2")"
# An older night's crash does not fail a newer clean night.
sqlite3 "$T/g.db" "update runs set status = 'ok' where id = 16; update runs set status = 'oom' where id = 4"
soak gate --history --db "$T/g.db" > "$T/g3" || fail "a crash two nights back failed the gate: $(cat "$T/g3")"
pass "gate --history: a crashed newest night fails (exit 1) with its runs' statuses, stray unlabelled runs left out"

# 10. A plan: an allocator named twice is refused at load; a bad args in one
# cell fails --dry-run (as the run would), naming the cell; no database made.
printf '[plan]\nallocators = system system\n[workload.a]\nname = tiny_hot\n' > "$T/p1.ini"
set +e; soak plan run "$T/p1.ini" --dry-run --db "$T/p.db" > /dev/null 2> "$T/p1.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "p1.ini:2: allocators: system is named twice" "$T/p1.err" \
  || fail "allocators = system system: exit $rc: $(cat "$T/p1.err")"
[ "$(wc -l < "$T/p1.err")" = 1 ] || fail "allocator named twice: more than one line: $(cat "$T/p1.err")"
printf '[plan]\nallocators = system\nduration = 1s\n[workload.a]\nname = tiny_hot\n[workload.b]\nname = tiny_hot\nargs = --bogus 1\n' > "$T/p2.ini"
set +e; soak plan run "$T/p2.ini" --dry-run --db "$T/p.db" > "$T/p2.out" 2> "$T/p2.err"; rc=$?; set -e
[ $rc = 2 ] || fail "a bad args passed --dry-run: exit $rc: $(cat "$T/p2.out" "$T/p2.err")"
grep -q "unknown option --bogus" "$T/p2.err" && grep -q "\[workload.b\]" "$T/p2.err" \
  || fail "a bad args: the cell or the option is not named: $(cat "$T/p2.err")"
[ ! -e "$T/p.db" ] || fail "a refused plan created its database"
pass "plan: an allocator named twice refused at load; a bad args fails --dry-run naming the cell"
