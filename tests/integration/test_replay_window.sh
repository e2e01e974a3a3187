#!/usr/bin/env bash
# test_replay_window.sh - replay --window FROM-TO against ground truth:
#   - a crafted two-thread trace (tracecraft.py: known events at 1 s steps,
#     cross-thread frees of blocks live at FROM and of blocks allocated in the
#     window, a realloc and an aligned block live at FROM freed in the window)
#     replayed with --window under soakctl record: the calls the replay made,
#     decoded by tracedump.py, are per thread pass 1 up to TO then, every
#     pass, the window's calls and the end-of-pass frees and allocations
#     again that replaywin.py derives from the trace alone; after every pass
#     the live bytes of the trace's blocks are the bytes live at FROM; the
#     worker's op count is the number of those calls;
#   - python3's multi-threaded trace loops a window under system and mimalloc
#     without deadlock, status ok;
#   - a bad window is refused with one line naming --window, exit 2, no run;
#   - docs/replay.md's --window example runs as written, its run ends ok.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")

# Times (s since the first event): stream 0 at 0-4, 10-11, 17-20, 26-27;
# stream 1 at 6-8, 13-15, 22-24, 29-30. Window 12.5-25: live at FROM are
# 2, 3, 4, 7 (stream 0) and 5, 6 (stream 1), 20024 bytes; in the window
# stream 1 frees 2 (stream 0's) and reallocs 6, stream 0 frees 3 (aligned)
# and 10, and stream 1 frees 11 (stream 0's, allocated in the window).
cat > "$T/spec.json" <<'EOF'
{"gap_ns": 1000000000, "chunks": [
 {"stream": 0, "events": [["thread_start", 1, 1], ["malloc", 1, 3001], ["malloc", 2, 3002],
                          ["posix_memalign", 3, 5000, 12], ["calloc", 4, 3004]]},
 {"stream": 1, "events": [["thread_start", 1, 2], ["malloc", 5, 3005], ["malloc", 6, 3006]]},
 {"stream": 0, "events": [["free", 1], ["malloc", 7, 3007]]},
 {"stream": 1, "events": [["free", 2], ["malloc", 8, 3008], ["realloc", 6, 9, 3009]]},
 {"stream": 0, "events": [["free", 3], ["malloc", 10, 3010], ["free", 10], ["malloc", 11, 3011]]},
 {"stream": 1, "events": [["free", 11], ["malloc", 12, 3012], ["free", 8]]},
 {"stream": 0, "events": [["free", 4], ["thread_exit"]]},
 {"stream": 1, "events": [["free", 5], ["thread_exit"]]}
]}
EOF
python3 "$here/tracecraft.py" "$T/w.trace" "$(cat "$T/spec.json")" || fail "craft the trace"
worker=$SOAK_BUILD/workloads/soak-worker
soak record -o "$T/rr.trace" -- "$worker" replay --trace "$T/w.trace" --window 12.5-25s --speed 1000 --duration 1 \
  >"$T/rr.out" 2>"$T/rr.err" || fail "record the replay: $(cat "$T/rr.err")"
ops=$(awk '$1 == "ops" {print $2}' "$T/rr.out")
python3 "$here/tracedump.py" "$T/rr.trace" --all >"$T/rr.json" || fail "decode the replay's trace"
got=$(python3 "$here/replaywin.py" "$T/spec.json" 12.5 25 "$T/rr.json" "$ops") || fail "the replay's calls: $got"
pass "crafted trace, --window 12.5-25s: $got"

# A real multi-threaded trace: a window in its middle, under two allocators.
soak record -o "$T/py.trace" -- python3 -c '
import threading
def work():
    for _ in range(20):
        x = [str(i) * 8 for i in range(5000)]
ts = [threading.Thread(target=work) for _ in range(3)]
[t.start() for t in ts]; [t.join() for t in ts]' >/dev/null 2>&1 || fail "record python3"
win=$(soak trace info "$T/py.trace" --format json |
  python3 -c 'import json,sys; d=json.load(sys.stdin)["duration_s"]; print(f"{d/3:.6f}-{2*d/3:.6f}")')
n=0
for a in system mimalloc; do
  n=$((n + 1))
  soak run --db "$DB" -w replay -a "$a" -d 2s -i 0.5 -- --trace "$T/py.trace" --window "$win" >/dev/null 2>&1 || true
  [ "$(q "select status from runs where id = $n")" = ok ] || fail "python3 --window $win under $a: $(q "select status, message from runs where id = $n")"
done
pass "python3 trace, --window $win: looped under system and mimalloc, ok"

DB=$T/bad.db
cd "$T"
said "soak-worker: replay: --window 8-2: FROM must be below TO (seconds of the trace, e.g. 2-8)" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window 8-2
said "soak-worker: replay: --window 2-8x: give FROM-TO in seconds of the trace, e.g. 2-8 or 1.5s-3.25s" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window 2-8x
said "soak-worker: replay: --window -1-3: give FROM-TO in seconds of the trace, e.g. 2-8 or 1.5s-3.25s" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window -1-3
said "soak-worker: replay: --window 2-31: the trace lasts 30 s (soakctl trace info); give TO at most that" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window 2-31
said "soak-worker: replay: --window 4.5-5.5: no allocation or free of the trace falls in it; widen it" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window 4.5-5.5
said "soak-worker: replay: --window and --order recorded: choose one (the peak check covers whole passes)" \
  run --db "$DB" -w replay -d 1s --no-progress -q -- --trace w.trace --window 2-8 --order recorded
pass "bad windows refused with one line naming --window, exit 2, nothing recorded"

# docs/replay.md's example, as written there (S: the soakctl under test).
doc_example docs/replay.md test_replay_window > "$T/example.sh" || fail "no test_replay_window example in docs/replay.md"
(cd "$T" && bash -e "$T/example.sh") > "$T/example.out" 2>&1 || { cat "$T/example.out"; fail "the example failed"; }
DB=$T/steady.db
[ "$(q 'select count(*) from runs where status = "ok" and workload = "replay"')" = 1 ] ||
  { cat "$T/example.out"; fail "the example's run did not end ok"; }
pass "docs/replay.md --window example: recorded, replayed a window, ok"
