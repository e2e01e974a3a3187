#!/usr/bin/env bash
# CPU and memory limits are applied to the worker's cgroup and recorded: a
# busy worker under --cpu-max 20% gets about 20% of one CPU; the run record
# keeps the limits; --no-cgroup runs record that they had none.
source "$(dirname "$0")/lib.sh"
soak run --db "$DB" -w tiny_hot -d 5s -i 250ms --cpu-max 20% --memory-max 128M --no-progress -q
[ "$(q "select status from runs where id=1")" = ok ] || fail "status $(q 'select status||message from runs where id=1')"
cpu=$(q "select max(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='cpu_user_s'")
sys=$(q "select max(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='cpu_sys_s'")
dur=$(q "select max(t) from samples where run_id=1")
python3 -c "import sys; c,s,d=map(float,sys.argv[1:]); u=(c+s)/d; print('cpu share',u); sys.exit(0 if 0.12 <= u <= 0.25 else 1)" "$cpu" "$sys" "$dur" \
  || fail "CPU share under a 20% quota is off: user $cpu sys $sys over $dur s"
[ "$(q "select memory_max from runs where id=1")" = $((128*1024*1024)) ] || fail "memory_max not recorded"
[ "$(q "select cpu_max_pct from runs where id=1")" = 20.0 ] || fail "cpu_max_pct not recorded"

soak run --db "$DB" -w tiny_hot -d 2s -i 250ms --no-cgroup --no-progress -q
[ "$(q "select cgroup_mode from runs where id=2")" = none ] || fail "no-cgroup run not recorded as such"
[ "$(q "select count(*) from runs where id=2 and memory_max is null and cpu_max_pct is null")" = 1 ] || fail "limits recorded for a no-cgroup run"
reason=$(q "select reason from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=2 and m.name='cg_mem_usage_bytes'")
[ -n "$reason" ] || fail "cgroup metrics of a no-cgroup run have no unavailable reason"
n=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=2 and m.name='cg_mem_usage_bytes' and s.value is not null")
[ "$n" = 0 ] || fail "a no-cgroup run has cgroup values"

# Bad input: one line, exit 2, nothing written.
before=$(q "select count(*) from runs")
rc=0; soak run --db "$DB" --duration 5x 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "bad duration exit $rc"
[ "$(wc -l < "$T/err")" = 1 ] || fail "bad duration printed $(wc -l < "$T/err") lines"
rc=0; soak run --db "$DB" -a /nonexistent/libfoo.so -d 1s 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "/nonexistent/libfoo.so" "$T/err" || fail "bad allocator path: exit $rc, $(cat "$T/err")"
rc=0; soak run --db "$DB" -w random_mixed -d 1s -- --ws banana 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "bad workload option exit $rc"
[ "$(q "select count(*) from runs")" = "$before" ] || fail "a rejected run left a record"
# Without permission to create cgroups (an unprivileged user): one line naming
# the problem and --no-cgroup, exit 2, no run recorded.
U=$(mktemp -d /tmp/soak-nobody.XXXXXX)
chmod 0777 "$U"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$SOAKCTL" run --db "$U/n.db" -w tiny_hot -d 1s \
  --no-progress 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q -- "--no-cgroup" "$T/err" \
  || { rm -rf "$U"; fail "unprivileged run: exit $rc, $(cat "$T/err")"; }
n=$(sqlite3 "$U/n.db" "select count(*) from runs" 2>/dev/null || echo 0)
rm -rf "$U"
[ "$n" = 0 ] || fail "unprivileged run recorded $n runs"
pass "unprivileged: $(cat "$T/err")"
assert_no_cgroups
pass "cpu quota honoured, limits recorded, bad input rejected"
