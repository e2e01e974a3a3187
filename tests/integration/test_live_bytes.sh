#!/usr/bin/env bash
# bytes_live and bytes_usable against ground truth:
# - every built-in workload, run by soak-worker standalone under the counting
#   library tests/helpers/libcountalloc.so (the sum of requested sizes, and of
#   malloc_usable_size, of the blocks the workload threads allocated and have
#   not freed) with SOAK_TEST_LIVE_CHECK set: the worker compares its own
#   counts with the library's at every tick of one-thread workloads, at stop
#   (remote_free: blocks still in its rings) and after teardown, and exits
#   non-zero on the first difference; several seeds and shapes each;
#   workloads that free across threads (larson, xmalloc, rptest, mstress,
#   cache_scratch) also compare their count of
#   remote frees with the library's (a free by another thread than the
#   allocating one);
#   paging with a small swap file of ours when none is on (it refuses to run without);
# - the leak workload through soakctl: bytes_live grows at the planted rate
#   (slope over the samples within 3% of --rate) in whole chunks;
# - exec commands (plain and --repeat): bytes_live, bytes_usable and the
#   allocator figures NULL with the exec reason.
source "$(dirname "$0")/lib.sh"
W=$SOAK_BUILD/workloads/soak-worker
SHIM=$SOAK_BUILD/tests/libcountalloc.so
[ -f "$SHIM" ] || fail "$SHIM was not built (tests/helpers/libcountalloc.c)"

check() { # check NAME OPTIONS...: one standalone run under the counting library
  local out=$T/live.out rc=0
  SOAK_TEST_LIVE_CHECK=1 LD_PRELOAD=$SHIM "$W" "$@" --usable-bytes > "$out" 2>&1 || rc=$?
  [ $rc = 0 ] || fail "$*: worker exited $rc: $(cat "$out")"
  grep -q "^live-check: $1 at stop: bytes_live \([0-9]*\) counted \1, bytes_usable \([0-9]*\) counted \2" "$out" \
    || fail "$*: no matching comparison at stop: $(cat "$out")"
  grep -q "^live-check: $1 after teardown: bytes_live \([0-9]*\) counted \1," "$out" \
    || fail "$*: no matching comparison after teardown: $(cat "$out")"
  sed -n 's/^live-check: .* at stop: \(.*\)/\1/p' "$out"
}
ticks() { sed -n 's/.*(\([0-9]*\) tick comparisons).*/\1/p' "$T/live.out" | tail -1; }

for seed in 1 7 12345; do
  check random_mixed --seed $seed --duration 0.5s > /dev/null
  [ "$(ticks)" -gt 100 ] || fail "random_mixed: only $(ticks) tick comparisons"
  check random_mixed --seed $seed --min-size 1 --max-size 7 --ws 50 --duration 0.3s > /dev/null
  check random_mixed --seed $seed --threads 3 --duration 0.3s > /dev/null
  check tiny_hot --seed $seed --depth $((seed % 100 + 1)) --size 24 --duration 0.3s > /dev/null
  check fragment --seed $seed --peak 1M --idle 20ms --duration 0.5s > /dev/null
  [ "$(ticks)" -gt 3 ] || fail "fragment: only $(ticks) tick comparisons"
  check scenario --seed $seed --duration 0.3s > /dev/null
  check scenario --seed $seed --name mir --duration 0.3s > /dev/null
  check spin --seed $seed --duration 0.2s > /dev/null
done
pass "random_mixed, tiny_hot, fragment, scenario, spin: equal to the counting library at every tick, at stop, after teardown"

# leak holds everything: the comparison at stop sees what it leaked.
for d in 0.3s 0.7s; do
  s=$(check leak --rate 32M --chunk 40000 --duration $d)
  case $s in "bytes_live 0 "*) fail "leak $d: nothing held at stop ($s)" ;; esac
done
pass "leak: equal at every tick and at stop ($s)"

# remote_free: blocks in flight in the rings at stop must be counted.
inflight=0
for seed in 1 2 3 4; do
  for o in "--threads 2 --remote-pct 100 --ring 2" "--threads 3 --ring 16" "--threads 4 --remote-pct 50 --window 8"; do
    # shellcheck disable=SC2086
    s=$(check remote_free --seed $seed $o --duration 0.3s)
    case $s in "bytes_live 0 "*) ;; *) inflight=$((inflight + 1)) ;; esac
  done
done
[ $inflight -gt 0 ] || fail "remote_free: no run stopped with blocks in its rings: the check proved nothing"
pass "remote_free: equal at stop ($inflight of 12 runs with blocks in flight) and after teardown"

# The classic patterns with cross-thread frees: live bytes at stop (blocks
# still held, freed by the main thread in teardown) and after teardown, and
# their count of remote frees (a free by a thread other than the allocating
# one) equal to the counting library's, which records each block's thread.
remote() { # remote NAME: the worker's and the library's remote-free counts are equal and > 0
  local line
  line=$(grep "^live-check: $1 remote frees" "$T/live.out") || fail "$1: no remote-free comparison: $(cat "$T/live.out")"
  echo "$line" | grep -q "remote frees \([1-9][0-9]*\) counted \1 of [0-9]* frees$" || fail "$1: $line"
}
all_remote() { # all_remote NAME: every free of a counted block was remote
  grep -q "^live-check: $1 remote frees \([0-9]*\) counted \1 of \1 frees$" "$T/live.out" \
    || fail "$1: not every free was remote: $(grep "remote frees" "$T/live.out")"
}
for seed in 1 7 12345; do
  check larson --seed $seed --life 2000 --duration 0.3s > /dev/null; remote larson
  check larson --seed $seed --threads 1 --blocks 100 --min-size 1 --max-size 40 --life 700 --duration 0.3s > /dev/null
  remote larson
  [ "$(ticks)" -gt 100 ] || fail "larson one thread: only $(ticks) tick comparisons"
  check larson --seed $seed --threads 3 --blocks 64 --life 300 --max-size 4K --duration 0.3s > /dev/null; remote larson
done
pass "larson: equal at every tick (one thread), at stop, after teardown; remote frees equal to the library's"
# large: malloc, realloc (mremap-sized) and free of 64 KiB .. 32 MiB blocks.
for seed in 1 7; do
  check large --seed $seed --threads 1 --slots 4 --realloc-pct 50 --duration 0.3s > /dev/null
  [ "$(ticks)" -gt 3 ] || fail "large one thread: only $(ticks) tick comparisons"
  check large --seed $seed --threads 3 --min-size 16 --max-size 1M --duration 0.3s > /dev/null
  check large --seed $seed --realloc-pct 100 --duration 0.3s > /dev/null
  # a budget below what the slots would hold: cut sizes and redirected ops
  check large --seed $seed --threads 1 --max-size 4M --max-live 5M --realloc-pct 50 --duration 0.3s > /dev/null
  [ "$(ticks)" -gt 3 ] || fail "large under a 5M budget: only $(ticks) tick comparisons"
done
pass "large: equal at every tick (one thread), at stop, after teardown"
# pareto: heavy-tailed sizes and lifetimes, blocks dying from a timing wheel.
for seed in 1 7; do
  check pareto --seed $seed --threads 1 --duration 0.3s > /dev/null
  [ "$(ticks)" -gt 100 ] || fail "pareto one thread: only $(ticks) tick comparisons"
  check pareto --seed $seed --threads 1 --pool 10 --alpha 1.1 --max-life 100000 --duration 0.2s > /dev/null
  check pareto --seed $seed --threads 3 --max-size 64K --max-life 500 --duration 0.3s > /dev/null
done
pass "pareto: equal at every tick (one thread), at stop, after teardown"
inflight=0
for seed in 1 2 3; do
  for o in "" "--threads 4 --ring 2" "--threads 4 --min-size 1 --max-size 3K --ring 64"; do
    # shellcheck disable=SC2086
    s=$(check xmalloc --seed $seed $o --duration 0.3s)
    case $s in "bytes_live 0 "*) ;; *) inflight=$((inflight + 1)) ;; esac
    remote xmalloc; all_remote xmalloc
  done
done
[ $inflight -gt 0 ] || fail "xmalloc: no run stopped with blocks in its rings: the check proved nothing"
pass "xmalloc: equal at stop ($inflight of 9 runs with blocks in flight) and after teardown; every free remote, as many as the library counted"

# rptest: frees by the next thread through rings (ring.h), blocks in flight
# at stop; with one thread its ring is its own (every tick compared, no
# remote free but teardown's). mstress: phases of threads, long-lived blocks
# freed by later phases, blocks swapped between threads through shared slots.
inflight=0
for seed in 1 7; do
  for o in "" "--threads 3 --remote-pct 100 --ring 2 --max-size 300" "--threads 4 --remote-pct 40 --ws 50"; do
    # shellcheck disable=SC2086
    s=$(check rptest --seed $seed $o --duration 0.3s)
    case $s in "bytes_live 0 "*) ;; *) inflight=$((inflight + 1)) ;; esac
    remote rptest
  done
  check rptest --seed $seed --threads 1 --ws 100 --remote-pct 30 --duration 0.2s > /dev/null
  [ "$(ticks)" -gt 100 ] || fail "rptest one thread: only $(ticks) tick comparisons"
  grep -q "^live-check: rptest remote frees 0 counted 0 of [1-9]" "$T/live.out" \
    || fail "rptest one thread: $(grep "remote frees" "$T/live.out")"
  check mstress --seed $seed --duration 0.3s > /dev/null; remote mstress
  check mstress --seed $seed --threads 1 --phase 700 --min-size 1 --max-size 40 --duration 0.3s > /dev/null
  remote mstress
  [ "$(ticks)" -gt 100 ] || fail "mstress one thread: only $(ticks) tick comparisons"
  check mstress --seed $seed --threads 3 --phase 300 --transfer 8 --transfer-pct 40 --long-pct 30 --duration 0.3s > /dev/null
  remote mstress
done
[ $inflight -gt 0 ] || fail "rptest: no run stopped with blocks in its rings: the check proved nothing"
pass "rptest, mstress: equal at every tick (one thread), at stop ($inflight of 6 rptest runs with blocks in flight), after teardown; remote frees as the library counted"

# Hoard's false-sharing loops: one object held at a time (every tick of one
# thread compares); cache_scratch's handed objects are allocated by the main
# thread (which also runs thread 0): exactly threads - 1 of their frees are remote.
for seed in 1 7; do
  check cache_thrash --seed $seed --duration 0.2s > /dev/null
  check cache_thrash --seed $seed --threads 1 --size 24 --writes 10 --duration 0.2s > /dev/null
  [ "$(ticks)" -gt 100 ] || fail "cache_thrash one thread: only $(ticks) tick comparisons"
  check cache_thrash --seed $seed --threads 3 --size 1 --duration 0.2s > /dev/null
  for n in 1 2 3; do
    check cache_scratch --seed $seed --threads $n --size $((seed * 8)) --writes 50 --duration 0.2s > /dev/null
    grep -q "^live-check: cache_scratch remote frees $((n - 1)) counted $((n - 1)) of " "$T/live.out" \
      || fail "cache_scratch $n threads: $(grep "remote frees" "$T/live.out")"
  done
done
pass "cache_thrash, cache_scratch: equal at every tick (one thread), at stop, after teardown; cache_scratch's remote frees as the library counted"

# lifo: a whole burst is held between its fill and its frees; ticks fall
# inside both phases (burst sizes not multiples of the tick interval).
for seed in 1 7 12345; do
  check lifo --seed $seed --threads 1 --burst 1000 --duration 0.2s > /dev/null
  [ "$(ticks)" -gt 100 ] || fail "lifo one thread: only $(ticks) tick comparisons"
  check lifo --seed $seed --threads 1 --burst 7 --min-size 1 --max-size 9 --duration 0.2s > /dev/null
  check lifo --seed $seed --threads 3 --burst 5000 --max-size 64K --duration 0.2s > /dev/null
done
pass "lifo: equal at every tick (one thread, mid-burst), at stop, after teardown"

# paging refuses to run without swap: without an active area, a small swap
# file of ours (scripts/swap.sh, private paths) for the check, off on every
# exit path. tests/CMakeLists.txt keeps it apart from the other swap tests.
if ! awk 'NR > 1 { n++ } END { exit !n }' /proc/swaps; then
  export SOAK_SWAP_FILE=/var/tmp/soak-test-live.swap SOAK_SWAP_STATE=/var/tmp/soak-test-live.state
  trap '"$SOAK_SRC/scripts/swap.sh" off > /dev/null 2>&1 || true; cleanup' EXIT
  "$SOAK_SRC/scripts/swap.sh" on 256M > /dev/null || fail "cannot turn swap on for paging"
fi
check paging --size 64M --block 1M --duration 1s > /dev/null
[ "$(ticks)" -gt 100 ] || fail "paging: only $(ticks) tick comparisons"
pass "paging: equal at every tick and at stop"

# leak through soakctl: the planted rate.
soak run --db "$DB" -w leak -d 3s -i 250ms --no-progress -q -- --rate 16M --chunk 64K \
  || fail "leak run exited $?"
id=$(q "select max(id) from runs")
q "select t, value from samples_named where run_id=$id and metric='bytes_live' and value is not null order by t" \
  | python3 -c '
import sys
pts = [tuple(map(float, l.split("|"))) for l in sys.stdin if l.strip()]
pts = [(t, v) for t, v in pts if 0.5 <= t <= 2.75]
assert len(pts) >= 5, pts
for t, v in pts:
    assert v % 65536 == 0, f"bytes_live {v} at {t} s is not whole chunks"
n = len(pts); mt = sum(t for t, _ in pts) / n; mv = sum(v for _, v in pts) / n
slope = sum((t - mt) * (v - mv) for t, v in pts) / sum((t - mt) ** 2 for t, _ in pts)
want = 16 * 2**20
assert abs(slope - want) <= 0.03 * want, f"slope {slope:.0f} B/s, planted {want}"
print(f"slope {slope / 2**20:.2f} MiB/s")' > "$T/slope" || fail "leak: bytes_live does not grow at the planted rate: $(cat "$T/slope")"
pass "leak: bytes_live grows at $(cat "$T/slope") (planted 16 MiB/s), in whole 64 KiB chunks"

# exec commands: no live bytes, NULL with the reason, plain and --repeat.
reason() { q "select reason from run_metrics rm join metrics m on m.id=rm.metric_id where rm.run_id=$1 and m.name='$2'"; }
EXEC_WHY="exec commands: the suite cannot see what the program holds; declare a self-report key"
for rep in "" --repeat; do
  # shellcheck disable=SC2086
  soak run --db "$DB" -w exec $rep -d 1s -i 200ms --no-progress -q -- sleep 0.2 || fail "exec $rep exited $?"
  id=$(q "select max(id) from runs")
  for m in bytes_live bytes_usable; do
    [ "$(reason $id $m)" = "$EXEC_WHY" ] || fail "exec $rep: $m reason '$(reason $id $m)'"
    [ "$(q "select count(*) from samples_named where run_id=$id and metric='$m' and value is not null")" = 0 ] \
      || fail "exec $rep: $m has values"
  done
  case $(reason $id alloc_allocated_bytes) in "exec commands: "*) ;;
    *) fail "exec $rep: alloc_allocated_bytes reason '$(reason $id alloc_allocated_bytes)'" ;; esac
done
pass "exec and exec --repeat: bytes_live NULL with '$EXEC_WHY'"
assert_no_cgroups
