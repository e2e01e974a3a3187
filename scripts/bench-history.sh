#!/usr/bin/env bash
# How history and merge scale: `soakctl history` (and gate --history) over
# 1,000 runs, `soakctl merge` of 100 databases. The runs are synthetic but
# written through the real write path (tests/bench/synthdb.c: run_begin,
# samples, run_end): 4 sampled metrics x SAMPLES samples per run.
# Usage: scripts/bench-history.sh [SAMPLES]  (after scripts/build.sh). Prints
# wall-clock and CPU (user + system) seconds per command, measured once each
# (a benchmark, not a timed test). On a shared host the wall time includes
# waiting for a CPU: the CPU time is the command's own cost.
set -euo pipefail
B=${BUILD_DIR:-build}
S=$B/cli/soakctl
SYN=$B/tests/synthdb
SAMPLES=${1:-60}
D=$(mktemp -d /tmp/soak-bench-history.XXXXXX)
trap 'rm -rf "$D"' EXIT
t() { /usr/bin/time -f "%e s wall, %U+%S s CPU" -o "$D/time" "$@" > /dev/null || true; cat "$D/time"; }
echo "samples per metric per run: $SAMPLES"
# 1,000 runs: 10 allocators x 50 nights x 2 runs per night.
for a in $(seq 1 10); do "$SYN" "$D/h.db" "alloc$a" 50 2 1e7 0.05 -1 0 "$a" "$SAMPLES"; done
echo "history db: $(sqlite3 "$D/h.db" 'select count(*) from runs') runs, $(sqlite3 "$D/h.db" 'select count(*) from samples') samples, $(du -h "$D/h.db" | cut -f1)"
echo "history (md) over 1000 runs, first (computes and keeps run_summary): $(t "$S" history --db "$D/h.db")"
echo "history (md) over 1000 runs, again (from run_summary): $(t "$S" history --db "$D/h.db")"
echo "history --no-cache (every run from its samples): $(t "$S" history --no-cache --db "$D/h.db")"
echo "history --format json: $(t "$S" history --db "$D/h.db" --format json)"
echo "gate --history: $(t "$S" gate --history --db "$D/h.db")"
echo "history --format html: $(t "$S" history --db "$D/h.db" --format html --output "$D/h.html")"
# 100 databases of 10 runs each (one shard's night each), merged at once.
for i in $(seq 1 100); do "$SYN" "$D/s$i.db" "alloc$((i % 10))" 5 2 1e7 0.05 -1 0 "$((i + 100))" "$SAMPLES"; done
echo "merge of 100 databases ($(sqlite3 "$D/s1.db" 'select count(*) from runs') runs each) into a new one: $(t "$S" merge -q "$D/m.db" "$D"/s*.db)"
echo "merged: $(sqlite3 "$D/m.db" 'select count(*) from runs') runs, $(sqlite3 "$D/m.db" 'select count(*) from samples') samples"
echo "the same merge again (nothing new): $(t "$S" merge -q "$D/m.db" "$D"/s*.db)"
echo "merge of 100 databases into the 1000-run history: $(t "$S" merge -q "$D/h.db" "$D"/s*.db)"
