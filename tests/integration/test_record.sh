#!/usr/bin/env bash
# test_record.sh - soakctl record and soakctl trace info against ground truth:
#   - tests/helpers/allocseq (a known sequence over three threads, cross-thread
#     frees, a realloc chain, aligned allocations, an early thread exit, _exit):
#     every op count, the peak of live bytes and the cross-thread frees are
#     exactly the fixture's plus what the C library allocates for the same
#     threads (allocseq empty, recorded the same way);
#   - a recorded program that aborts or faults (SIGABRT, SIGSEGV) leaves a
#     whole trace: the recorder flushes in its handler, the end record names
#     the signal, the op counts are allocseq's, and record exits 128+signal;
#   - kill -9 of a recorded program leaves a trace read up to its last chunk,
#     said to be cut, with the events of the chunks written;
#   - a truncated or corrupt trace is refused with one line, exit 2;
#   - a real program (python3) records to a complete trace.
source "$(dirname "$0")/lib.sh"
seqbin=$SOAK_BUILD/tests/allocseq
[ -x "$seqbin" ] || fail "no $seqbin"

soak record -o "$T/seq.trace" -- "$seqbin" 2>"$T/rec.err" || fail "record: $(cat "$T/rec.err")"
soak record -o "$T/empty.trace" -- "$seqbin" empty 2>/dev/null || fail "record empty"
soak trace info "$T/seq.trace" --format json >"$T/seq.json" || fail "trace info"
soak trace info "$T/empty.trace" --format json >"$T/empty.json" || fail "trace info empty"
python3 - "$T/seq.json" "$T/empty.json" <<'PY' || fail "allocseq's counts"
import json, sys
s, e = (json.load(open(f)) for f in sys.argv[1:3])
want = {"malloc": 13, "calloc": 1, "realloc": 3, "reallocarray": 0, "free": 17, "posix_memalign": 1,
        "aligned_alloc": 1, "memalign": 1, "valloc": 0, "pvalloc": 0}
bad = []
for k, v in want.items():
    if s["ops"][k] - e["ops"][k] != v:
        bad.append(f"{k}: {s['ops'][k]} - {e['ops'][k]} != {v}")
# The C library's own blocks for the threads stay live through the sequence.
if s["peak_live_bytes"] != 15912 + e["end_live_bytes"]:
    bad.append(f"peak {s['peak_live_bytes']} != 15912 + {e['end_live_bytes']}")
if s["peak_live_objects"] != 15 + e["end_live_objects"]:
    bad.append(f"peak objects {s['peak_live_objects']} != 15 + {e['end_live_objects']}")
if s["cross_thread_frees"] - e["cross_thread_frees"] != 12:
    bad.append(f"cross-thread frees {s['cross_thread_frees']}")
if (s["threads"], s["processes"], s["cut"]) != (3, 1, False):
    bad.append(f"threads {s['threads']} processes {s['processes']} cut {s['cut']}")
if s["ops"]["thread_start"] != 3 or s["ops"]["thread_exit"] != 2:
    bad.append(f"thread events {s['ops']['thread_start']} {s['ops']['thread_exit']}")
if bad:
    print("\n".join(bad)); sys.exit(1)
PY
pass "allocseq: exact op counts, peak 15912 + the C library's, 12 cross-thread frees, 3 threads"

# A fatal signal after the sequence: everything the threads buffered is in
# the trace (the same counts as the _exit run), which names the signal.
for m in abort:SIGABRT:134 segv:SIGSEGV:139; do
  IFS=: read -r mode sig want <<<"$m"
  # No core file left behind, whatever the host's limit.
  rc=0; (ulimit -c 0; soak record -o "$T/$mode.trace" -- "$seqbin" "$mode") >/dev/null 2>&1 || rc=$?
  [ "$rc" = "$want" ] || fail "$mode: record exit $rc, want $want (128+signal)"
  soak trace info "$T/$mode.trace" --format json >"$T/$mode.json" 2>"$T/$mode.err" || fail "$mode: $(cat "$T/$mode.err")"
  python3 - "$T/seq.json" "$T/$mode.json" "$sig" <<'PY' || fail "$mode: the trace after the signal"
import json, sys
s, m = (json.load(open(f)) for f in sys.argv[1:3])
if m["cut"] or m["ended_by"] != sys.argv[3]:
    sys.exit(f"cut {m['cut']}, ended_by {m['ended_by']}, want {sys.argv[3]}")
# thread_exit: the _exit run and the signalled one both end with main alive.
diff = {k: (s["ops"][k], m["ops"][k]) for k in s["ops"] if s["ops"][k] != m["ops"][k]}
# abort() may allocate nothing; the C library's own blocks are the same in both.
if diff or m["peak_live_bytes"] != s["peak_live_bytes"]:
    sys.exit(f"ops differ from the _exit run: {diff}; peak {m['peak_live_bytes']} vs {s['peak_live_bytes']}")
PY
  soak trace info "$T/$mode.trace" | grep -q "^complete     yes, up to $sig, which ended the program" \
    || fail "$mode: $(soak trace info "$T/$mode.trace" | grep complete)"
done
[ "$(json_get "$T/seq.json" 'j["ended_by"]')" = exit ] || fail "an _exit trace says ended_by $(json_get "$T/seq.json" 'j["ended_by"]')"
pass "abort and SIGSEGV: whole traces with allocseq's counts, ending with the signal; record exits 134 and 139"

# kill -9: the fixture writes at least one chunk, then waits to be killed.
# Killed once the file holds more than 1000 events (the main thread's chunk
# of malloc/free pairs): its size alone was not enough, as the early thread's
# exit writes a chunk of 18 events first (CI once killed it right then).
"$SOAKCTL" record -o "$T/cut.trace" -- "$seqbin" hold 2>/dev/null &
rec=$!
child=
for _ in $(seq 200); do
  child=$(pgrep -P "$rec" || true)
  if [ -n "$child" ] && [ -s "$T/cut.trace" ]; then
    held=$(soak trace info "$T/cut.trace" 2>/dev/null | awk '$1 == "events" { print $2 }')
    [ "${held:-0}" -gt 1000 ] && break
  fi
  sleep 0.05
done
[ -n "$child" ] || fail "no recorded child"
kill -9 "$child"
rc=0; wait "$rec" || rc=$?
[ "$rc" = 137 ] || fail "record should exit 128+9 when the command is killed, got $rc"
soak trace info "$T/cut.trace" --format json >"$T/cut.json" 2>"$T/cut.err" || fail "cut trace refused: $(cat "$T/cut.err")"
[ "$(json_get "$T/cut.json" 'j["cut"]')" = True ] || fail "a killed program's trace is not said to be cut"
n=$(json_get "$T/cut.json" 'j["events"]')
[ "$n" -gt 1000 ] || fail "cut trace holds $n events"
grep -q "was cut after $n events" "$T/cut.err" || fail "no cut line: $(cat "$T/cut.err")"
pass "kill -9: trace read up to the cut ($n events), and says so"

# Hostile traces: one line, exit 2.
head -c 20 "$T/seq.trace" >"$T/trunc.trace"
printf 'SOAKTRC1\x07\x00\x00\x00\x10\x00\x00\x00' >"$T/ver.trace"
head -c 100 /dev/urandom >"$T/junk.trace"
python3 -c "
import sys; d=bytearray(open(sys.argv[1],'rb').read()); h=16+int.from_bytes(d[12:16],'little')
d[h+8:h+12]=b'\xff\xff\xff\x7f'; open(sys.argv[2],'wb').write(d)" "$T/seq.trace" "$T/len.trace"
for f in trunc:'header truncated' ver:'format version 7' junk:'bad magic' len:'bad chunk length'; do
  rc=0; soak trace info "$T/${f%%:*}.trace" >/dev/null 2>"$T/h.err" || rc=$?
  [ "$rc" = 2 ] || fail "${f%%:*}: exit $rc, want 2"
  [ "$(wc -l <"$T/h.err")" = 1 ] || fail "${f%%:*}: not one line: $(cat "$T/h.err")"
  grep -q "${f#*:}" "$T/h.err" || fail "${f%%:*}: $(cat "$T/h.err")"
done
pass "truncated header, bad version, bad magic, bad chunk length: one line, exit 2"

# A real program.
soak record -o "$T/py.trace" -- python3 -c 'x = [str(i) * 5 for i in range(50000)]; print(len(x))' >/dev/null 2>&1 \
  || fail "record python3"
soak trace info "$T/py.trace" --format json >"$T/py.json" || fail "python3 trace"
[ "$(json_get "$T/py.json" 'j["cut"] == False and j["events"] > 1000 and j["peak_live_bytes"] > 0')" = True ] \
  || fail "python3 trace: $(cat "$T/py.json" | head -20)"
pass "python3 recorded: $(json_get "$T/py.json" 'j["events"]') events, $(json_get "$T/py.json" 'j["bytes_per_event"]') bytes per event"
