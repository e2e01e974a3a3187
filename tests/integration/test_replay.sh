#!/usr/bin/env bash
# test_replay.sh - the replay workload against ground truth (trace info of the
# same file, tests/helpers/allocseq recorded by soakctl record):
#   - without --loop, the replay ends holding exactly the trace's live objects:
#     the last bytes_live equals trace info's end_live_bytes and ops_total its
#     allocation and free count (thread events are no operations);
#   - with --loop, a multi-threaded trace with cross-thread frees (python3's)
#     replays many passes under system and mimalloc without deadlock, status ok;
#   - sqlite3 running a generated script, replayed under system and mimalloc,
#     ends with exactly the trace's live bytes and operation count;
#   - --order recorded (every event in the recorded order across threads)
#     replays allocseq under system, mimalloc and jemalloc, and python3's
#     4-thread trace, each reaching exactly trace info's peak of live bytes
#     (the workload fails the run otherwise) after all the trace's operations;
#   - a corrupt trace, or none, is refused before the run with one line;
#   - a trace that grows during a --loop run (a crafted, cut trace, appended
#     to once the replay threads read it) with an object id beyond the table
#     fails the run with one line naming the file, the chunk and the event.
source "$(dirname "$0")/lib.sh"
seqbin=$SOAK_BUILD/tests/allocseq
soak record -o "$T/seq.trace" -- "$seqbin" 2>/dev/null || fail "record allocseq"
soak trace info "$T/seq.trace" --format json >"$T/seq.json"
want_live=$(json_get "$T/seq.json" 'j["end_live_bytes"]')
want_ops=$(json_get "$T/seq.json" 'sum(v for k, v in j["ops"].items() if not k.startswith("thread"))')

soak run --db "$DB" -w replay -d 2s -i 0.5 -- --trace "$T/seq.trace" >/dev/null 2>&1 || fail "replay run"
[ "$(q "select status from runs where id = 1")" = ok ] || fail "replay status $(q "select status, message from runs where id = 1")"
live=$(q "select cast(value as integer) from samples_named where run_id = 1 and metric = 'bytes_live' and value is not null order by t desc limit 1")
ops=$(q "select cast(value as integer) from samples_named where run_id = 1 and metric = 'ops_total' and value is not null order by t desc limit 1")
[ "$live" = "$want_live" ] || fail "bytes_live at the end $live, trace info says $want_live live"
[ "$ops" = "$want_ops" ] || fail "ops_total $ops, the trace holds $want_ops operations"
pass "allocseq replayed: $ops ops, $live bytes live at the end, as trace info says"

# After the trace's end (no --loop) the replay calls nothing: its later
# intervals count 0 ops, so its ops/s is no throughput, and the gate says so
# instead of grading a mean diluted by idle time (a looped run is graded).
why=$(q "select reason from run_values where run_id = 1 and name = 'throughput_verdict'")
case "$why" in "the replay reached the end of its trace after "*" s and then made no calls (--loop no): ops/s is no throughput; give --loop yes") ;;
  *) fail "replay without --loop: throughput_verdict '$why'" ;; esac
soak gate --db "$DB" 1 > "$T/g1.out" 2>&1 || true
grep -q "^SKIP .* tp_drift: throughput drift not applicable: the replay reached the end of its trace" "$T/g1.out" \
  || fail "gate of a replay without --loop: $(cat "$T/g1.out")"
soak history --db "$DB" --unlabelled-nights --workload replay --format json > "$T/h1.json" 2>/dev/null \
  || fail "history of the replay runs"
python3 - "$T/h1.json" <<'PY' || fail "history of a replay without --loop tracks its ops/s as a throughput"
import json, sys
j = json.load(open(sys.argv[1]))
p = [pt["metrics"] for s in j["series"] for pt in s["points"] if pt["run_id"] == 1]
assert p, "run 1 not in the history"
m = p[0]
assert m.get("throughput") is None and m["throughput_unavailable"].startswith("not a throughput: the replay reached the end"), m
PY
pass "replay without --loop: ops/s after the trace's end is no throughput, and the gate and history skip it"

# What the replay calls, recorded by the same recorder and decoded by an
# independent decoder (tracedump.py, the zstd command): every recorded
# thread's (kind, size, alignment) multiset is issued by one replay thread,
# exactly so by every thread but the worker's main one (its own stdio and
# thread set-up; the readers' memory is mmap'd).
soak record -o "$T/rr.trace" -- "$SOAK_BUILD/workloads/soak-worker" replay --trace "$T/seq.trace" --duration 0.5 \
  >/dev/null 2>&1 || fail "record the replay"
python3 "$(dirname "$0")/tracedump.py" "$T/seq.trace" >"$T/seq.dump" || fail "decode the trace"
python3 "$(dirname "$0")/tracedump.py" "$T/rr.trace" >"$T/rr.dump" || fail "decode the replay's trace"
python3 - "$T/seq.dump" "$T/rr.dump" <<'PY' || fail "the replay's calls"
import collections, json, sys
orig, rep = (json.load(open(f))["streams"] for f in sys.argv[1:3])
bags = {s: collections.Counter(map(tuple, ev)) for s, ev in rep.items()}
used = set()
for s, ev in sorted(orig.items()):
    want = collections.Counter(map(tuple, ev))
    hit = [r for r, b in bags.items() if r not in used and not (want - b)]
    if not hit:
        sys.exit(f"recorded thread {s}: no replay thread issued its {sum(want.values())} calls {dict(want)}")
    used.add(hit[0])
# Only the worker's main thread (replay thread 0) allocates for itself
# (stdio, the C library's blocks for the other threads): the others issue
# exactly their recorded thread's calls.
exact = sum(1 for r in used if bags[r] in
            [collections.Counter(map(tuple, ev)) for ev in orig.values()])
if exact < len(orig) - 1:
    sys.exit(f"only {exact} of {len(orig)} replay threads issued exactly their thread's calls")
print(f"{len(orig)} threads matched, {exact} exactly")
PY
pass "the replay issues every recorded thread's (kind, size, alignment) calls"

soak record -o "$T/py.trace" -- python3 -c '
import threading
def work():
    return [bytes(i % 2000) for i in range(20000)]
ts = [threading.Thread(target=work) for _ in range(3)]
[t.start() for t in ts]; [t.join() for t in ts]' >/dev/null 2>&1 || fail "record python3"
threads=$(soak trace info "$T/py.trace" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"])')
[ "$threads" -ge 4 ] || fail "python3 trace has $threads threads"
n=2
for a in system mimalloc; do
  soak run --db "$DB" -w replay -a "$a" -d 2s -i 0.5 -- --trace "$T/py.trace" --loop yes >/dev/null 2>&1 || fail "replay --loop under $a"
  [ "$(q "select status from runs where id = $n")" = ok ] || fail "$a: status $(q "select status, message from runs where id = $n")"
  ops=$(q "select cast(max(value) as integer) from samples_named where run_id = $n and metric = 'ops_total'")
  [ "$ops" -gt "$(json_get <(soak trace info "$T/py.trace" --format json) 'j["events"]')" ] || fail "$a: only $ops ops: no second pass"
  n=$((n + 1))
done
[ "$(q "select count(*) from run_values where run_id in (2, 3) and name = 'throughput_verdict'")" = 0 ] \
  || fail "a looped replay's ops/s was called no throughput"
pass "python3 trace ($threads threads) looped under system and mimalloc"

# A real program: sqlite3 running a generated SQL script, replayed without
# --loop under system and mimalloc: each ends holding exactly the trace's
# live bytes after exactly its operations.
python3 -c "
print('create table t(a integer primary key, b text, c blob); begin;')
for i in range(3000):
    print(f\"insert into t(b, c) values ('row {i}' || hex(randomblob({i % 200})), randomblob({i % 500}));\")
print('commit; create index ib on t(b); delete from t where a % 3 = 0; select count(*) from t;')" >"$T/gen.sql"
soak record -o "$T/sq.trace" -- sqlite3 :memory: -init "$T/gen.sql" .quit >/dev/null 2>&1 || fail "record sqlite3"
soak trace info "$T/sq.trace" --format json >"$T/sq.json"
[ "$(json_get "$T/sq.json" 'j["cut"]')" = False ] || fail "sqlite3 trace cut"
want_live=$(json_get "$T/sq.json" 'j["end_live_bytes"]')
want_ops=$(json_get "$T/sq.json" 'sum(v for k, v in j["ops"].items() if not k.startswith("thread"))')
[ "$want_ops" -gt 10000 ] || fail "sqlite3 made only $want_ops calls"
n=$(q "select max(id) from runs")
for a in system mimalloc; do
  n=$((n + 1))
  soak run --db "$DB" -w replay -a "$a" -d 2s -i 0.5 -- --trace "$T/sq.trace" >/dev/null 2>&1 || fail "sqlite3 replay under $a"
  live=$(q "select cast(value as integer) from samples_named where run_id = $n and metric = 'bytes_live' and value is not null order by t desc limit 1")
  ops=$(q "select cast(value as integer) from samples_named where run_id = $n and metric = 'ops_total' and value is not null order by t desc limit 1")
  [ "$live" = "$want_live" ] && [ "$ops" = "$want_ops" ] || fail "sqlite3 under $a: $ops ops, $live live; trace: $want_ops ops, $want_live live"
done
pass "sqlite3 ($want_ops calls) replayed under system and mimalloc: $want_live bytes live at the end, as recorded"

# --order recorded: the peak check runs at the end of the pass, so each run
# must also have done every operation of the trace.
py_ops=$(json_get <(soak trace info "$T/py.trace" --format json) 'sum(v for k, v in j["ops"].items() if not k.startswith("thread"))')
n=$(q "select max(id) from runs")
for case in seq:system seq:mimalloc seq:jemalloc py:system; do
  f=${case%%:*} a=${case#*:}
  n=$((n + 1))
  soak run --db "$DB" -w replay -a "$a" -d 3s -i 0.5 -- --trace "$T/$f.trace" --order recorded >/dev/null 2>&1 || true
  [ "$(q "select status from runs where id = $n")" = ok ] || fail "--order recorded, $f under $a: $(q "select status, message from runs where id = $n")"
  ops=$(q "select cast(max(value) as integer) from samples_named where run_id = $n and metric = 'ops_total'")
  want=$want_ops; [ "$f" = py ] && want=$py_ops
  [ "$f" = seq ] && want=$(json_get "$T/seq.json" 'sum(v for k, v in j["ops"].items() if not k.startswith("thread"))')
  [ "$ops" = "$want" ] || fail "--order recorded, $f under $a: $ops ops, the trace holds $want"
done
pass "--order recorded: allocseq under system, mimalloc, jemalloc and python3 (4 threads) reach trace info's peak"

head -c 30 "$T/seq.trace" >"$T/bad.trace"
rc=0; soak run --db "$DB" -w replay -d 1s -- --trace "$T/bad.trace" >/dev/null 2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "corrupt trace: exit $rc, want 2"
grep -q "header truncated" "$T/bad.err" || fail "corrupt trace: $(cat "$T/bad.err")"
rc=0; soak run --db "$DB" -w replay -d 1s -- >/dev/null 2>"$T/none.err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--trace FILE" "$T/none.err" || fail "no --trace: exit $rc: $(cat "$T/none.err")"
pass "corrupt trace and missing --trace refused with exit 2"

# A free of an object no event allocated before it, or an id allocated again
# while live, would leave a replay thread waiting forever (the run ended ok
# at 0 ops/s): refused before the run, one line, exit 2.
craft=$(dirname "$0")/tracecraft.py
python3 "$craft" "$T/orphan.trace" '{"end": true, "chunks": [{"stream": 0, "events":
  [["thread_start", 1, 1], ["malloc", 1, 100], ["free", 5], ["free", 1]]}]}' || fail "craft a trace"
python3 "$craft" "$T/reuse.trace" '{"end": true, "chunks": [{"stream": 0, "events":
  [["thread_start", 1, 1], ["malloc", 1, 100], ["malloc", 1, 50], ["free", 1]]}]}' || fail "craft a trace"
# Ids at or above 2^62 (the live-object table keeps two marks in its keys).
python3 "$craft" "$T/bigid.trace" '{"end": true, "chunks": [{"stream": 0, "events":
  [["thread_start", 1, 1], ["malloc", 4611686018427387904, 100], ["free", 4611686018427387904]]}]}' \
  || fail "craft a trace"
for c in "orphan|1 frees of objects no event allocated before them (the first: object 5 on thread 0 at 0.000002 s)" \
         "reuse|1 allocations of an object id still live" \
         "bigid|object id 4611686018427387904 (at most 2^62)"; do
  rc=0; soak run --db "$T/refused.db" -w replay -d 1s --no-progress -- --trace "$T/${c%%|*}.trace" --loop yes \
    >/dev/null 2>"$T/refused.err" || rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l < "$T/refused.err")" = 1 ] && grep -qF "${c#*|}" "$T/refused.err" \
    || fail "${c%%|*} trace: exit $rc: $(cat "$T/refused.err")"
done
[ ! -e "$T/refused.db" ] || [ "$(sqlite3 "$T/refused.db" 'select count(*) from runs')" = 0 ] || fail "a refused trace recorded a run"
# A fork child's trace (--follow-forks): its frees of the parent's blocks are
# no events (they named the parent's ids, which its trace never allocates).
soak record -o "$T/fk.trace" --follow-forks -- "$SOAK_BUILD/tests/allocseq" fork 2>/dev/null || fail "record allocseq fork"
child=$(ls "$T"/fk.trace.* 2>/dev/null)
[ "$(printf '%s\n' "$child" | grep -c .)" = 1 ] || fail "want one child trace, have: $child"
soak trace info --format json "$child" > "$T/fk.json"
[ "$(json_get "$T/fk.json" '(j["ops"]["malloc"], j["ops"]["free"], j["unknown_frees"])')" = "(5, 5, 0)" ] \
  || fail "the child's trace: $(json_get "$T/fk.json" '(j["ops"]["malloc"], j["ops"]["free"], j["unknown_frees"])'), want 5 malloc, 5 free, 0 unknown"
soak run --db "$T/fk.db" -w replay -d 1s -i 250ms --no-progress -q -- --trace "$child" --loop yes || fail "replay of the child exited $?"
[ "$(sqlite3 "$T/fk.db" "select status from runs")" = ok ] || fail "replay of the child: not ok"
[ "$(sqlite3 "$T/fk.db" "select max(value) > 0 from samples_named where metric = 'ops_total'")" = 1 ] || fail "replay of the child made no op"
pass "frees of objects never allocated and reused ids refused; a fork child's trace replays"

# A crafted trace, cut (no end record, as while still being recorded): one
# thread allocating and freeing object 1. Once the replay thread has the file
# open (the run, after the supported() pass found 1 the highest id), a chunk
# with object 7 is appended: the next pass of --loop reads it.
python3 "$craft" "$T/grow.trace" '{"end": false, "chunks": [{"stream": 0, "events":
  [["thread_start", 1, 1], ["malloc", 1, 100], ["free", 1]]}]}' || fail "craft a trace"
size0=$(stat -c %s "$T/grow.trace")
"$SOAK_BUILD/workloads/soak-worker" replay --trace "$T/grow.trace" --loop yes --duration 30 \
  >"$T/grow.out" 2>"$T/grow.err" &
wpid=$!
# Seen open twice 50 ms apart: the replay thread's reader, which stays open,
# not supported()'s pass, which closes the file within microseconds.
seen=0
for _ in $(seq 200); do
  if ls -l "/proc/$wpid/fd" 2>/dev/null | grep -q "grow.trace"; then seen=$((seen + 1)); else seen=0; fi
  [ "$seen" -ge 2 ] && break
  sleep 0.05
done
[ "$seen" -ge 2 ] || { kill "$wpid"; fail "the replay never opened the trace"; }
python3 "$craft" "$T/grow.trace" '{"chunks": [{"stream": 0, "events": [["malloc", 7, 64]]}]}' --append
rc=0; wait "$wpid" || rc=$?
[ "$rc" = 5 ] || fail "object id beyond the table: worker exit $rc, want 5 (setup error): $(cat "$T/grow.err")"
grep -q "replay: $T/grow.trace: offset $size0: event 3 (stream 0): malloc of object id 7, beyond the highest id (1)" \
  "$T/grow.err" || fail "object id beyond the table: $(cat "$T/grow.err")"
[ "$(wc -l <"$T/grow.err")" = 1 ] || fail "more than one line: $(cat "$T/grow.err")"
pass "an object id beyond the table fails the run: $(cat "$T/grow.err")"
