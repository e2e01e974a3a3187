#!/usr/bin/env bash
# Every single-threaded workload is deterministic for a given seed: two runs
# with the same seed make the same sequence of allocation sizes (recorded by
# a preloaded logging malloc, tests/helpers/libsizelog.c), and another seed
# makes a different one where the workload's sizes depend on it. The control
# workload `spin` never calls the allocator in its loop (both patterns): it
# makes the same few start-up allocations in 0.3 s as in 0.9 s.
source "$(dirname "$0")/lib.sh"
W=$SOAK_BUILD/workloads/soak-worker
LOG=$SOAK_BUILD/tests/libsizelog.so
[ -x "$W" ] && [ -f "$LOG" ] || fail "soak-worker or libsizelog.so not built"
run() { # run OUT WORKLOAD ARGS...: 0.4 s standalone under the logging malloc
  local out=$1; shift
  SOAK_TEST_SIZELOG=$out LD_PRELOAD=$LOG "$W" "$@" --duration 0.4s > /dev/null || fail "$* exited $?"
  [ "$(wc -l < "$out")" -ge 1000 ] || fail "$*: only $(wc -l < "$out") allocations logged"
}
# workload, options, and whether its sizes depend on the seed
cases=(
  "random_mixed|--ws 400|yes"
  "scenario|--name mixed|yes"
  "tiny_hot|--size 48|no"
  "fragment|--peak 8M --idle 0.05|yes"
  "lifo|--threads 1 --burst 300|yes"
  "larson|--threads 1 --blocks 200 --life 5000|yes"
)
for c in "${cases[@]}"; do
  IFS='|' read -r wl opts seeded <<< "$c"
  # shellcheck disable=SC2086
  run "$T/a" "$wl" $opts --seed 7
  # shellcheck disable=SC2086
  run "$T/b" "$wl" $opts --seed 7
  n=$(($(wc -l < "$T/a") < $(wc -l < "$T/b") ? $(wc -l < "$T/a") : $(wc -l < "$T/b")))
  cmp -s <(head -n "$n" "$T/a") <(head -n "$n" "$T/b") || fail "$wl: two runs with seed 7 allocated different sizes"
  if [ "$seeded" = yes ]; then
    # shellcheck disable=SC2086
    run "$T/c" "$wl" $opts --seed 8
    m=$(($(wc -l < "$T/a") < $(wc -l < "$T/c") ? $(wc -l < "$T/a") : $(wc -l < "$T/c")))
    ! cmp -s <(head -n "$m" "$T/a") <(head -n "$m" "$T/c") || fail "$wl: seeds 7 and 8 allocated the same sizes"
  fi
  extra=""; [ "$seeded" = yes ] && extra="; another seed, other sizes"
  pass "$wl: same seed, same $n allocation sizes$extra"
done
for p in slots alu; do
  for d in 0.3s 0.9s; do
    SOAK_TEST_SIZELOG=$T/s$d LD_PRELOAD=$LOG "$W" spin --pattern $p --duration $d > "$T/s$d.out" || fail "spin --pattern $p exited $?"
  done
  n3=$(wc -l < "$T/s0.3s") n9=$(wc -l < "$T/s0.9s")
  ops=$(sed -n "s/^ops *\([0-9]*\).*/\1/p" "$T/s0.9s.out")
  [ "$n3" = "$n9" ] && [ "$n9" -lt 100 ] || fail "spin --pattern $p: $n3 allocations in 0.3 s, $n9 in 0.9 s (the control must not allocate in its loop)"
  pass "spin --pattern $p: $n9 start-up allocations in 0.3 s and in 0.9 s (${ops:-?} ops)"
done
