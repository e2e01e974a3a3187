#!/usr/bin/env bash
# No silent loss of samples (docs/faults.md, row 4). Three ways a database can
# fail a run mid-way, each checked against ground truth (the runner's own
# count of samples taken, and the gaps between the sample times actually
# stored):
#  1. the file system fills up mid-run (a 2 MiB tmpfs below /tmp): either every
#     sample is stored, or the run says how many were lost - a stderr line, a
#     non-zero exit, an event, the run's samples_lost, `report` and `gate`;
#  2. another process holds the write lock (BEGIN EXCLUSIVE) for 6 s mid-run:
#     the sampling loop goes on (no hole, no late tick) and every sample is kept;
#  3. two runs share one database at -i 10ms: both keep every sample;
#  4. exec --repeat of /bin/true (a step every few ms) while another process
#     holds the write lock for 4 s: every step is kept (the steps' own queue
#     held 256 once: at 0.5 s between flushes it overflowed with no lock at
#     all, in the ASan build).
source "$(dirname "$0")/lib.sh"

MNT=$T/mnt
pids=()
cleanup_loss() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  mountpoint -q "$MNT" && umount "$MNT"
  rm -rf "$T"
}
trap cleanup_loss EXIT

# hold_lock DB SECONDS: another process holds the write lock (BEGIN EXCLUSIVE).
hold_lock() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
PY
}
# samples_of DB RUN: rows of rss_bytes stored for RUN (one per sample).
samples_of() { sqlite3 -batch -noheader "$1" "select count(*) from samples_named where run_id=$2 and metric='rss_bytes'"; }
# max_gap DB RUN: the longest time between two stored samples of RUN.
max_gap() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
ts = [r[0] for r in c.execute("select t from samples_named where run_id=? and metric='rss_bytes' order by t", (int(sys.argv[2]),))]
print(max((b - a for a, b in zip(ts, ts[1:])), default=0))
PY
}
taken() { sqlite3 -batch -noheader "$1" "select cast(value as int) from run_values where run_id=$2 and name='runner.samples'"; }

# ---- 1. disk full ----
mkdir -p "$MNT"
mount -t tmpfs -o size=2m tmpfs "$MNT" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
D=$MNT/soak.db
# Fill the file system 2 s into the run and keep it full for 3 s.
( sleep 2; dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null || true; sleep 3; rm -f "$MNT/fill" ) &
pids+=($!)
rc=0
"$SOAKCTL" run --db "$D" -w random_mixed -d 8s -i 10ms --no-progress -q 2> "$T/err1" || rc=$?
wait "${pids[-1]}" || true
cat "$T/err1"
n=$(samples_of "$D" 1); k=$(taken "$D" 1)
[ -n "$k" ] || fail "disk full: the run's sample count was not recorded (stderr: $(cat "$T/err1"))"
lost=$(sqlite3 -batch -noheader "$D" "select coalesce(samples_lost, 0) from runs where id=1" 2>/dev/null || echo none)
echo "disk full for 3 s: $n of $k samples stored, samples_lost=$lost, exit $rc"
if [ "$n" -eq "$k" ]; then
  [ "$rc" -eq 0 ] || fail "disk full: every sample kept but exit $rc"
  [ "$lost" = 0 ] || fail "disk full: every sample kept but samples_lost=$lost"
  pass "disk full for 3 s: the buffered samples were stored once space came back ($n of $k)"
else
  [ "$lost" != none ] && [ "$lost" -eq $((k - n)) ] || fail "disk full: $((k - n)) samples missing, samples_lost says $lost"
  [ "$rc" -ne 0 ] || fail "disk full: $((k - n)) samples lost, exit 0"
  grep -q "lost" "$T/err1" || fail "disk full: no stderr line about the lost samples"
  pass "disk full for 3 s: $((k - n)) lost samples counted and reported"
fi
rm -f "$D" "$D-wal" "$D-shm"

# The same with a ring of 100 rows (1 s at 10 ms): 4 s of a full disk must
# lose samples, and every one of them must be accounted for.
( sleep 2; dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null || true; sleep 4; rm -f "$MNT/fill" ) &
pids+=($!)
rc=0
SOAK_STORE_ROWS=100 "$SOAKCTL" run --db "$D" -w random_mixed -d 9s -i 10ms --no-progress -q 2> "$T/err1b" || rc=$?
wait "${pids[-1]}" || true
cat "$T/err1b"
n=$(samples_of "$D" 1); k=$(taken "$D" 1)
lost=$(sqlite3 -batch -noheader "$D" "select coalesce(samples_lost, 0) from runs where id=1")
ev=$(sqlite3 -batch -noheader "$D" "select count(*) from events where run_id=1 and kind='samples_lost'")
echo "disk full for 4 s, 1 s of buffer: $n of $k samples stored, samples_lost=$lost, $ev samples_lost events, exit $rc"
[ -n "$k" ] || fail "disk full, small buffer: the run's sample count not recorded"
# A busy host skips ticks; 25% of the nominal 800 is plenty to overflow 100 rows.
[ "$k" -ge 200 ] || fail "disk full, small buffer: only $k samples taken in 8 s at 10 ms"
[ "$lost" -gt 0 ] || fail "disk full, small buffer: 4 s of a full disk with 1 s of buffer lost no sample"
[ "$((n + lost))" -eq "$k" ] || fail "disk full, small buffer: $n stored + $lost lost != $k taken"
[ "$ev" -ge 1 ] || fail "disk full, small buffer: no samples_lost event"
[ "$rc" -eq 2 ] || fail "disk full, small buffer: exit $rc, want 2"
grep -q "samples were lost" "$T/err1b" || fail "disk full, small buffer: no stderr line"
"$SOAKCTL" report --db "$D" --latest > "$T/rep" || fail "report failed"
grep -q "$lost samples lost" "$T/rep" || fail "report does not show the $lost lost samples: $(head -20 "$T/rep")"
"$SOAKCTL" report --db "$D" --latest --format json > "$T/rep.json"
[ "$(json_get "$T/rep.json" "j['runs'][0]['samples_lost']")" = "$lost" ] || fail "JSON report: samples_lost"
grc=0; "$SOAKCTL" gate --db "$D" --latest > "$T/gate" 2>&1 || grc=$?
[ "$grc" -eq 1 ] || fail "gate exit $grc on a run that lost samples: $(cat "$T/gate")"
grep -q "SAMPLES LOST" "$T/gate" || fail "gate does not name the lost samples: $(cat "$T/gate")"
pass "disk full for 4 s with 1 s of buffer: $lost samples lost, all counted; report, JSON and gate say so"
rm -f "$D" "$D-wal" "$D-shm"

# The file system stays full until the run ends: nothing can be stored after
# 2 s, so the run must fail loudly and later commands must not call it ok.
( sleep 2; dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null || true; sleep 30 ) &
pids+=($!)
rc=0
"$SOAKCTL" run --db "$D" -w random_mixed -d 6s -i 10ms --no-progress -q 2> "$T/err2" || rc=$?
kill "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
rm -f "$MNT/fill"
cat "$T/err2"
[ "$rc" -ne 0 ] || fail "disk full to the end: exit 0"
grep -q "lost" "$T/err2" || fail "disk full to the end: no stderr line about lost samples"
st=$(sqlite3 -batch -noheader "$D" "select status from runs where id=1")
[ "$st" != ok ] || [ "$(sqlite3 -batch -noheader "$D" "select coalesce(samples_lost,0) from runs where id=1")" -gt 0 ] ||
  fail "disk full to the end: status ok with no loss recorded"
"$SOAKCTL" gate --db "$D" --latest > "$T/gate" 2>&1 && fail "disk full to the end: gate passed ($(cat "$T/gate"))"
pass "disk full to the end: exit $rc, stderr says so, status $st, gate fails"
rm -f "$D" "$D-wal" "$D-shm"
umount "$MNT"

# ---- 2. the write lock held by another process for 6 s ----
"$SOAKCTL" run --db "$DB" -w random_mixed -d 12s -i 10ms --no-progress -q 2> "$T/err3" &
runner=$!; pids+=($runner)
sleep 3
hold_lock "$DB" 6
rc=0; wait $runner || rc=$?
cat "$T/err3"
[ "$rc" -eq 0 ] || fail "lock held 6 s: exit $rc"
n=$(samples_of "$DB" 1); k=$(taken "$DB" 1); gap=$(max_gap "$DB" 1)
jit=$(q "select value from run_values where run_id=1 and name='runner.jitter_max_s'")
echo "lock held 6 s: $n of $k samples stored, longest gap ${gap}s, latest tick ${jit}s late"
[ "$n" -eq "$k" ] || fail "lock held 6 s: $((k - n)) samples lost"
# The gap check below is the real one; this only catches a loop that stopped.
[ "$k" -ge 300 ] || fail "lock held 6 s: only $k samples taken in 12 s at 10 ms"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$gap" ||
  fail "lock held 6 s: a ${gap} s hole in the samples (the loop blocked on the database)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$jit" ||
  fail "lock held 6 s: a tick was ${jit} s late (the loop blocked on the database)"
[ "$(q "select status from runs where id=1")" = ok ] || fail "lock held 6 s: status $(q 'select status from runs where id=1')"
pass "lock held 6 s: no hole, every sample kept"

# ---- 3. two runs on one database at 10 ms ----
"$SOAKCTL" run --db "$DB" -w random_mixed -d 8s -i 10ms --no-progress -q 2> "$T/err4" &
a=$!; pids+=($a)
"$SOAKCTL" run --db "$DB" -w random_mixed -d 8s -i 10ms --no-progress -q 2> "$T/err5" &
b=$!; pids+=($b)
rca=0; wait $a || rca=$?
rcb=0; wait $b || rcb=$?
cat "$T/err4" "$T/err5"
for id in 2 3; do
  st=$(q "select status from runs where id=$id")
  if [ -z "$st" ]; then
    # Refusing the second writer is allowed, with one line and exit 2.
    [ "$rca" -eq 2 ] || [ "$rcb" -eq 2 ] || fail "run $id missing without a refusal"
    continue
  fi
  n=$(samples_of "$DB" $id); k=$(taken "$DB" $id); gap=$(max_gap "$DB" $id)
  echo "two writers: run $id $st, $n of $k samples stored, longest gap ${gap}s"
  [ "$st" = ok ] || fail "two writers: run $id status $st"
  [ "$n" -eq "$k" ] || fail "two writers: run $id lost $((k - n)) of $k samples"
  [ "$k" -ge 200 ] || fail "two writers: run $id took only $k samples in 8 s at 10 ms"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$gap" ||
    fail "two writers: run $id has a ${gap} s hole (its loop blocked on the other's lock)"
done
[ "$rca" -eq 0 ] && [ "$rcb" -eq 0 ] || [ "$(q 'select count(*) from runs')" -lt 3 ] ||
  fail "two writers: exit codes $rca/$rcb"
pass "two writers on one database: both kept every sample"

# ---- 4. exec --repeat steps while the database is locked ----
DB4=$T/steps.db
"$SOAKCTL" run --db "$DB4" -w exec --repeat -d 6s -i 100ms --no-progress -q -- /bin/true 2> "$T/err6" &
runner=$!; pids+=($runner)
sleep 1
hold_lock "$DB4" 4
rc=0; wait $runner || rc=$?
cat "$T/err6"
steps=$(sqlite3 -batch -noheader "$DB4" "select count(*) from samples_named where run_id=1 and metric='step_wall_s'")
lost=$(sqlite3 -batch -noheader "$DB4" "select coalesce(samples_lost, 0) from runs where id=1")
echo "exec steps, lock held 4 s: exit $rc, $steps steps stored, samples_lost $lost"
[ "$rc" -eq 0 ] && [ "$lost" = 0 ] || fail "exec steps, lock held 4 s: exit $rc, $lost lost"
# The lock's 4 s of 6 must hold more steps than the old queue's 256.
[ "$steps" -ge 512 ] || fail "exec steps: only $steps steps in 6 s: the test did not exercise a queue of 256"
pass "exec steps while the database is locked: every step kept ($steps)"
