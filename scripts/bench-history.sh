#!/usr/bin/env bash
# How history and merge scale: `soakctl history` (and gate --history) over
# 1,000 runs, `soakctl merge` of 100 databases. The runs are synthetic but
# written through the real write path (tests/bench/synthdb.c: run_begin,
# samples, run_end): 4 sampled metrics x SAMPLES samples per run.
# Usage: scripts/bench-history.sh [SAMPLES] [SCALE-RUNS...]  (after
# scripts/build.sh). Prints wall-clock and CPU (user + system) seconds per
# command and its peak RSS, measured once each (a benchmark, not a timed
# test). On a shared host the wall time includes waiting for a CPU: the CPU
# time is the command's own cost.
# Then, for each SCALE-RUNS (default 10000; e.g. 10000 100000), a history of
# that many runs (10 allocators x 3 runs per night): the first history (cold:
# every summary computed and saved), the same again (cached), one night more
# (incremental), and a history killed after 2 s then run again (the batches
# saved before the kill are kept). The generator's fsyncs are made no-ops (a
# preloaded shim, generation only) so that 100,000 runs are written in minutes.
# SCALE_ONLY=1 skips the 1,000-run and merge measurements.
# Summaries are tagged with the soakctl build that computed them: do not
# rebuild while this runs, or the "cached" runs compute everything again.
set -euo pipefail
B=${BUILD_DIR:-build}
S=$B/cli/soakctl
SYN=$B/tests/synthdb
SAMPLES=${1:-60}
D=$(mktemp -d /tmp/soak-bench-history.XXXXXX)
trap 'rm -rf "$D"' EXIT
t() { /usr/bin/time -f "%e s wall, %U+%S s CPU, max RSS %M KiB" -o "$D/time" "$@" > /dev/null || true; cat "$D/time"; }
echo "samples per metric per run: $SAMPLES"
if [ -z "${SCALE_ONLY:-}" ]; then
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

fi
# History at scale.
cc -shared -fPIC -O2 -o "$D/nosync.so" -x c - <<'C'
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
C
rate() { # RUNS TIMEFILE: runs per CPU-second and per wall-second
	awk -v n="$1" '{ split($1, w, " "); split($4, c, "+"); cpu = c[1] + c[2];
		printf "%.0f runs/s wall, %.0f runs/CPU-s", n / w[1], n / (cpu > 0 ? cpu : 1e-9) }' "$2"
}
summaries() { sqlite3 "$1" 'select count(*) from run_summary'; }
shift || true
for N in "${@:-10000}"; do
	H="$D/scale-$N.db"
	nights=$((N / 30))
	for a in $(seq 1 10); do
		LD_PRELOAD="$D/nosync.so" "$SYN" "$H" "alloc$a" "$nights" 3 1e7 0.05 -1 0 "$a" "$SAMPLES"
	done
	runs=$(sqlite3 "$H" 'select count(*) from runs')
	echo "scale: $runs runs ($nights nights x 3 runs x 10 allocators), $(du -h "$H" | cut -f1)"
	echo "history over $runs runs, cold: $(t "$S" history --db "$H") ($(rate "$runs" "$D/time")); run_summary rows: $(summaries "$H")"
	cp "$D/time" "$D/cold-time"
	echo "history over $runs runs, cached: $(t "$S" history --db "$H")"
	echo "gate --history over $runs runs, cached: $(t "$S" gate --history --db "$H")"
	for a in $(seq 1 10); do
		LD_PRELOAD="$D/nosync.so" "$SYN" "$H" "alloc$a" 1 3 1e7 0.05 -1 0 "$((a + 1000))" "$SAMPLES"
	done
	echo "30 new runs (3 more per allocator), then history: $(t "$S" history --db "$H"); run_summary rows: $(summaries "$H")"
	sqlite3 "$H" 'delete from run_summary'
	# Killed a fifth of the way through (by the cold run's wall time).
	kill_s=$(awk '{ split($1, w, " "); printf "%.0f", w[1] / 5 < 2 ? 2 : w[1] / 5 }' "$D/cold-time")
	timeout -s KILL "$kill_s" "$S" history --db "$H" > /dev/null 2>&1 || true
	k=$(summaries "$H")
	echo "killed after $kill_s s: $k summaries kept; the rerun: $(t "$S" history --db "$H"); run_summary rows: $(summaries "$H")"
done
