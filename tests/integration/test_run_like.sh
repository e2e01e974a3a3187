#!/usr/bin/env bash
# `soakctl run --like ID` runs again with the settings recorded in run ID:
# every recorded setting of the new run's row (and of its settings stream)
# equals the original's, an option given on the command line wins over the
# recorded one, and an unknown id, an allocator file that changed or is gone
# since the run, and an exec run whose command cannot be rebuilt are refused
# with one line and exit 2.
source "$(dirname "$0")/lib.sh"
cp "$SOAK_BUILD/tests/libslowmalloc.so" "$T/lib.so"
printf '[allocator.cand]\npath = %s\nenv = SOAK_TEST_MALLOC_DELAY_NS=0 SOAK_TEST_MALLOC_DELAY_EVERY=1\n' \
  "$T/lib.so" > "$T/a.ini"
soak run --db "$DB" --config "$T/a.ini" -a cand -w random_mixed -d 1s -i 200ms --warmup 300ms \
  --memory-max 64M --cpu-max 150% --latency-sample 16 --grace 3s -l base --host-class like-test \
  --no-progress -q -- --ws 50 || fail "run 1 exited $?"
# Without --config: the allocator, its path and environment come from run 1.
soak run --db "$DB" --like 1 --no-progress -q || fail "run --like 1 exited $?"
COLS="label, workload, workload_args, allocator_name, allocator_path, allocator_env, allocator_sha256,
      duration_s, interval_s, warmup_s, memory_max, swap_max, cpu_max_pct, cgroup_mode, host_class"
row() { q "select $COLS, (select data from logs where run_id=$1 and stream='settings') from runs where id=$1"; }
[ "$(row 1)" = "$(row 2)" ] || fail "run --like 1 recorded other settings:
run 1: $(row 1)
run 2: $(row 2)"
[ "$(q "select status from runs where id=2")" = ok ] || fail "run 2: $(q "select status, message from runs where id=2")"
q "select allocator_observed from runs where id=2" | grep -q lib.so || fail "run 2 did not get the allocator: $(q "select allocator_observed from runs where id=2")"
pass "run --like 1 reproduces workload, args, allocator, env, sha256, duration, interval, warm-up, limits, label, host class, latency sampling, grace"

# An option given wins; the automatic warm-up is recorded as automatic.
soak run --db "$DB" --like 1 -d 2s -l over --latency-sample 8 --no-progress -q || fail "run 3 exited $?"
[ "$(q "select duration_s, label from runs where id=3")" = "2.0|over" ] || fail "override lost: $(row 3)"
q "select data from logs where run_id=3 and stream='settings'" | grep -q '"latency_every":8,' || fail "--latency-sample 8 lost"
[ "$(q "select workload_args, allocator_env, memory_max, cpu_max_pct, warmup_s from runs where id=3")" = \
  "$(q "select workload_args, allocator_env, memory_max, cpu_max_pct, warmup_s from runs where id=1")" ] || fail "run 3: $(row 3)"
# Another workload does not get the recorded one's options; --no-cgroup
# drops the recorded limits instead of refusing them.
soak run --db "$DB" --like 1 -w tiny_hot --no-cgroup -d 1s --no-progress -q || fail "run --like 1 -w tiny_hot --no-cgroup exited $?"
[ "$(q "select workload, workload_args, coalesce(memory_max, 'none'), coalesce(cpu_max_pct, 'none'), cgroup_mode, label from runs where id=4")" = \
  "tiny_hot|[]|none|none|none|base" ] || fail "run 4: $(row 4)"
pass "an option on the command line overrides the recorded one, the rest is kept; -w drops the workload's options, --no-cgroup the limits"

refused() {   # refused WHAT ARGS... : exit 2 and one line with WHAT
  local what=$1 rc=0; shift
  soak run --db "$DB" "$@" --no-progress -q > "$T/out" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "run $* exited $rc, not 2: $(cat "$T/err")"
  [ "$(wc -l < "$T/err")" = 1 ] && grep -q -- "$what" "$T/err" || fail "run $*: expected one line with '$what': $(cat "$T/err")"
}
n=$(q "select count(*) from runs")
refused "no run 99 in the database" --like 99
printf 'x' >> "$T/lib.so"
refused "changed since run 1: expected sha256 $(q "select allocator_sha256 from runs where id=1"), found $(sha256sum "$T/lib.so" | cut -c1-64)" --like 1
rm "$T/lib.so"
refused "the allocator file $T/lib.so of run 1 no longer exists" --like 1
[ "$(q "select count(*) from runs")" = "$n" ] || fail "a refused --like recorded a run"
# An explicit --allocator replaces the recorded one (and its environment).
soak run --db "$DB" --like 1 -a system -d 1s --no-progress -q || fail "run --like 1 -a system exited $?"
[ "$(q "select allocator_name, coalesce(allocator_path, 'none'), coalesce(allocator_env, 'none') from runs where id=5")" = "system|none|none" ] \
  || fail "run 5: $(row 5)"
pass "unknown id, a changed or removed allocator file: one line, exit 2, nothing recorded; --allocator overrides"

soak run --db "$DB" -w exec -d 1s --no-cgroup --no-progress -q -- /bin/sh -c 'sleep 0.2' || fail "exec run exited $?"
soak run --db "$DB" --like 6 --no-progress -q || fail "exec run --like 6 exited $?"
[ "$(row 6)" = "$(row 7)" ] || fail "exec run --like: $(row 6) vs $(row 7)"
q "delete from logs where run_id=6 and stream='settings'"
refused "run 6 is an exec run whose command cannot be rebuilt" --like 6
pass "an exec run is repeated with its command; without its recorded settings it is refused"
assert_no_cgroups
