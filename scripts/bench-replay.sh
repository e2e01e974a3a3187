#!/usr/bin/env bash
# scripts/bench-replay.sh [SECONDS] - the costs of recording and replaying,
# as ratios (docs/performance.md, "Record and replay"). Uses the build in
# $BUILD_DIR (default build-rel) and the worker standalone (no runner):
#   1. recording slowdown: random_mixed's op rate alone / under soakctl record
#      (an allocation-heavy program: every op is a malloc or a free);
#   2. bytes per event of that trace on disk (trace info);
#   3. replay rate: the trace replayed (--loop yes, --touch none) vs the
#      built-in random_mixed, same allocator, op rate ratio; for system and
#      mimalloc;
#   4. the replay's CPU ns per op under a trivial allocator (libbump);
#   5. a normal program: python3 building strings, wall time alone / recorded.
# Prints the load average: on a shared host the ratios, not the rates, carry.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-2}
B=${BUILD_DIR:-build-rel}
S=$B/cli/soakctl W=$B/workloads/soak-worker
[ -x "$S" ] && [ -x "$W" ] || { echo "bench-replay.sh: build $B first (scripts/build.sh)" >&2; exit 2; }
T=$(mktemp -d /tmp/soak-bench-replay.XXXXXX)
trap 'rm -rf "$T"' EXIT
rate() { sed -n 's/^ops .*(\([0-9.]*\) M ops\/s.*/\1/p' "$1" | tail -1; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

"$W" random_mixed --duration "$secs" >"$T/alone.out" 2>&1
"$S" record -o "$T/rm.trace" -- "$W" random_mixed --duration "$secs" >"$T/rec.out" 2>&1
a=$(rate "$T/alone.out") r=$(rate "$T/rec.out")
echo "recording, random_mixed: $a M ops/s alone, $r M ops/s recorded: slowdown $(ratio "$a" "$r")x (goal <= 3x)"
"$S" trace info "$T/rm.trace" --format json >"$T/rm.json"
echo "bytes per event: $(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["bytes_per_event"], 2))' "$T/rm.json") (goal <= 4)"

for a in system mimalloc; do
  pre=; [ $a = mimalloc ] && pre=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2
  LD_PRELOAD=$pre "$W" random_mixed --duration "$secs" >"$T/b.out" 2>&1
  LD_PRELOAD=$pre "$W" replay --trace "$T/rm.trace" --loop yes --touch none --duration "$secs" >"$T/p.out" 2>&1
  b=$(rate "$T/b.out") p=$(rate "$T/p.out")
  echo "replay vs random_mixed, $a: $p vs $b M ops/s: $(ratio "$p" "$b") of the built-in rate (goal >= 0.50)"
done

# The replay engine's own cost: the trace under a trivial allocator
# (tests/bench/libbump.c: a bump region and per-thread class lists, a few ns),
# CPU ns per op; the built-in random_mixed under it for scale.
bump=$B/tests/libbump.so
if [ -f "$bump" ]; then
  nsop() { sed -n 's/^ops .*, \([0-9.]*\) M ops\/cpu-s.*/\1/p' "$1" | tail -1 | python3 -c 'import sys; print(f"{1e3 / float(sys.stdin.read()):.1f}")'; }
  LD_PRELOAD=$bump "$W" random_mixed --duration "$secs" >"$T/bb.out" 2>&1
  LD_PRELOAD=$bump "$W" replay --trace "$T/rm.trace" --loop yes --touch none --duration "$secs" >"$T/bp.out" 2>&1
  echo "replay under libbump: $(nsop "$T/bp.out") CPU ns per op (goal <= 15 beyond the allocator); random_mixed under libbump: $(nsop "$T/bb.out") ns per op"
else
  echo "replay under libbump: not measured ($bump not built)"
fi

# The replay engine's memory: the worker's peak RSS (VmHWM, read while it
# holds the end of the trace: --loop no) replaying the trace once, --touch
# none (the blocks are not written, so RSS is the engine, the binary and the
# few live blocks).
maxrss() {
  "$@" >/dev/null 2>&1 & local pid=$! hwm= v
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null) || true
    [ -z "$v" ] || hwm=$v
    sleep 0.2
  done
  wait "$pid" || true
  echo "${hwm:-unavailable}"
}
tsz=$(python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print("%.0f MiB, %d events" % (j["bytes"] / 2**20, j["events"]))' "$T/rm.json")
echo "replay's peak RSS: $(maxrss "$W" replay --trace "$T/rm.trace" --touch none --duration $((3 * ${secs%.*} + 4))) MiB for a trace of $tsz (goal: a 10 GB trace in < 100 MB)"

py='x = [str(i) * 8 for i in range(300000)]; y = {i: str(i) for i in range(200000)}'
t0=$(date +%s.%N); python3 -c "$py"; t1=$(date +%s.%N)
"$S" record -o "$T/py.trace" -- python3 -c "$py" 2>/dev/null; t2=$(date +%s.%N)
echo "recording, python3: $(python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); print(f'{(c - b) / (b - a):.2f}')" "$t0" "$t1" "$t2")x wall time (goal <= 1.20x)"
