#!/bin/busybox sh
# /init of a pure cgroup v2 initramfs guest (tests/vm/proc-faults.sh): the
# process rows of docs/faults.md ("Processes, recovery and
# statuses") on a kernel without v1 controllers. soakctl runs in the root
# cgroup. Prints VMTEST lines and powers off.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
export PATH=/soak/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "VMTEST-BOOT $(uname -r) controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
S=/soak/cli/soakctl
export SOAK_WORKER=/soak/workloads/soak-worker
DB=/tmp/p.db
res() { echo "VMTEST proc.$1 $2 $3"; }
q() { sqlite3 -batch -noheader $DB "$1"; }
last() { q "select $1 from runs where id=(select max(id) from runs)"; }
gone() { s=$(awk '/^State:/ {print $2}' /proc/$1/status 2>/dev/null); [ -z "$s" ] || [ "$s" = Z ]; }
run() { timeout -s KILL 60 $S run --db $DB --no-progress -q "$@"; }

# row 2
rc=0; run -w exec -d 3s -- sh -c 'yes & echo $! > /tmp/yes; exit 0' || rc=$?
if [ $rc = 0 ] && [ "$(last status)" = ok ] && gone "$(cat /tmp/yes)" &&
   [ "$(q "select count(*) from events where kind='leftovers_killed'")" = 1 ]; then res row2 PASS "ok, yes killed"
else res row2 FAIL "rc $rc status $(last status)"; fi
# row 5
run -w exec -d 1s -- sleep 1000
st=$(last status); run -w exec -d 1s -- sh -c 'sleep 1000; exit 3'
if [ "$st" = ok ] && [ "$(last status)" = ok ]; then res row5 PASS "stopped at duration: ok (bare and wrapped)"
else res row5 FAIL "$st / $(last status)"; fi
# row 8
run -w exec -d 30s --memory-max 64M --swap-max 0 -- sh -c '/soak/tests/hold 256 1; exit $?'
if [ "$(last status)" = oom-killed ] && [ "$(last exit_code)" = 137 ]; then res row8 PASS "oom-killed below sh -c (exit 137)"
else res row8 FAIL "status $(last status) exit $(last exit_code) $(last message)"; fi
# row 9
run -w exec --repeat -d 3s -i 200ms --grace 2s -- sh -c 'sleep 30 & echo $! >> /tmp/gc9; echo "Throughput = 5 ops/s"'
id=$(q "select max(id) from runs")
n=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where run_id=$id and m.name='step_throughput_ops_s' and value=5")
alive=0; for p in $(cat /tmp/gc9); do gone $p || alive=$((alive+1)); done
if [ "$(last status)" = ok ] && [ "$n" -ge 3 ] && [ $alive = 0 ]; then res row9 PASS "$n steps, no sleep left"
else res row9 FAIL "status $(last status), $n steps, $alive sleeps alive"; fi
# row 10
for mode in cgroup no-cgroup; do
  x=; [ $mode = no-cgroup ] && x=--no-cgroup
  rm -f /tmp/gc
  $S run --db $DB --no-progress -q $x -w exec -d 60s -- sh -c 'sleep 4343 & echo $! > /tmp/gc; sleep 100' &
  r=$!
  i=0; while [ ! -s /tmp/gc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  gc=$(cat /tmp/gc); kill -9 $r; wait $r
  i=0; while ! gone $gc && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
  left=$(ls -d /sys/fs/cgroup/soak-* 2>/dev/null)
  if gone $gc && [ -z "$left" ]; then res row10-$mode PASS "grandchild gone, no cgroup left"
  else res row10-$mode FAIL "grandchild $gc alive or cgroups left: $left"; kill $gc; fi
done
$S runs --db $DB > /dev/null 2>&1
# row 1: a hostile record; bystanders in /tmp and in a cgroup the suite did not make
mkdir -p /tmp/x/soak-x /tmp/x/soak-empty /sys/fs/cgroup/soak-00000000-0000-4000-8000-000000000000
sleep 600 & b1=$!; sleep 600 & b2=$!
echo $b2 > /sys/fs/cgroup/soak-00000000-0000-4000-8000-000000000000/cgroup.procs
printf '%s\nnot-a-pid\n-1\n' $b1 > /tmp/x/soak-x/cgroup.procs
true & d=$!; wait $d
q "update runs set status='running', runner_pid=$d, cgroup_paths=json_object('memory','/sys/fs/cgroup/../../../tmp/x/soak-x','cpu','/tmp/x/soak-empty','unified','/sys/fs/cgroup/soak-00000000-0000-4000-8000-000000000000') where id=1"
rc=0; strace -f -qq -o /tmp/st -e trace=kill,pidfd_send_signal -e inject=kill:error=EPERM setsid $S runs --db $DB > /dev/null 2> /tmp/err || rc=$?
if [ $rc = 0 ] && kill -0 $b1 && kill -0 $b2 && [ -d /tmp/x/soak-empty ] && ! grep -q SIGKILL /tmp/st &&
   [ "$(q "select status from runs where id=1")" = incomplete ] && [ "$(grep -c refused /tmp/err)" = 3 ]; then
  res row1 PASS "3 paths refused, bystanders alive, no SIGKILL attempted"
else res row1 FAIL "rc $rc; $(head -c 300 /tmp/err); $(grep SIGKILL /tmp/st | head -3)"; fi
kill $b1 $b2; echo 1 > /sys/fs/cgroup/soak-00000000-0000-4000-8000-000000000000/cgroup.kill
sleep 0.2; rmdir /sys/fs/cgroup/soak-00000000-0000-4000-8000-000000000000
# row 11
$S run --db $DB --no-progress -q -w tiny_hot -d 60s & r=$!
sleep 3; kill -INT $r; rc=0; wait $r || rc=$?
if [ $rc = 130 ] && [ "$(last status)" = interrupted ]; then res row11 PASS "SIGINT: exit 130, interrupted"
else res row11 FAIL "exit $rc status $(last status)"; fi
left=$(ls -d /sys/fs/cgroup/soak-* 2>/dev/null)
[ -z "$left" ] && res cgroups PASS "none left" || res cgroups FAIL "left: $left"
echo "VMTEST-END"
poweroff -f
