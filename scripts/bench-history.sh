#!/usr/bin/env bash
# How history and merge scale: `soakctl history` (and gate --history) over
# 1,000 runs, `soakctl merge` of 100 databases. The runs are synthetic but
# written through the real write path (tests/bench/synthdb.c: run_begin,
# samples, run_end): 4 sampled metrics x SAMPLES samples per run.
# Usage: scripts/bench-history.sh [SAMPLES]  (after scripts/build.sh). Prints
# wall-clock seconds per command, measured once each here (a benchmark, not a
# timed test).
set -euo pipefail
B=${BUILD_DIR:-build}
S=$B/runner/soakctl
SYN=$B/tests/synthdb
SAMPLES=${1:-60}
D=$(mktemp -d /tmp/soak-bench-history.XXXXXX)
trap 'rm -rf "$D"' EXIT
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); python3 -c "print(f'{$e-$s:.2f}')"; }
echo "samples per metric per run: $SAMPLES"
# 1,000 runs: 10 allocators x 50 nights x 2 runs per night.
for a in $(seq 1 10); do "$SYN" "$D/h.db" "alloc$a" 50 2 1e7 0.05 -1 0 "$a" "$SAMPLES"; done
echo "history db: $(sqlite3 "$D/h.db" 'select count(*) from runs') runs, $(sqlite3 "$D/h.db" 'select count(*) from samples') samples, $(du -h "$D/h.db" | cut -f1)"
echo "history (md) over 1000 runs: $(t "$S" history --db "$D/h.db") s"
echo "history --format json: $(t "$S" history --db "$D/h.db" --format json) s"
echo "gate --history: $(t sh -c "\"$S\" gate --history --db \"$D/h.db\" || true") s"
echo "history --format html: $(t "$S" history --db "$D/h.db" --format html --output "$D/h.html") s"
# 100 databases of 10 runs each (one shard's night each), merged at once.
for i in $(seq 1 100); do "$SYN" "$D/s$i.db" "alloc$((i % 10))" 5 2 1e7 0.05 -1 0 "$((i + 100))" "$SAMPLES"; done
echo "merge of 100 databases ($(sqlite3 "$D/s1.db" 'select count(*) from runs') runs each) into a new one: $(t "$S" merge -q "$D/m.db" "$D"/s*.db) s"
echo "merged: $(sqlite3 "$D/m.db" 'select count(*) from runs') runs, $(sqlite3 "$D/m.db" 'select count(*) from samples') samples"
echo "the same merge again (nothing new): $(t "$S" merge -q "$D/m.db" "$D"/s*.db) s"
echo "merge of 100 databases into the 1000-run history: $(t "$S" merge -q "$D/h.db" "$D"/s*.db) s"
