#!/usr/bin/env bash
# Recovery trusts nothing it reads (docs/faults.md, row 1): a database may
# come from another host. A run record that says 'running' on this host with a
# dead runner and cgroup_paths pointing at
#   - /sys/fs/cgroup/../../../tmp/x/soak-x  (a /tmp directory whose cgroup.procs
#     lists a bystander `sleep`, "not-a-pid" and "-1"),
#   - an empty /tmp directory named like the suite's,
#   - a real cgroup2 directory the suite did not make (another run's name)
#     holding a bystander `sleep`,
# is marked incomplete by the next `soakctl runs`, which says why it refused
# each path; every bystander lives, no file or directory changes, and no
# kill() with SIGKILL is even attempted (checked under strace with kill()
# failing by injection, so a broken build cannot harm the host with kill(-1)).
# Then a genuine kill -9 of a runner: its grandchild and cgroups are gone.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace is not installed (scripts/install-deps.sh installs it)"
X=$T/x
mkdir -p "$X/soak-x" "$X/soak-empty"
sleep 600 & by1=$!
sleep 600 & by2=$!
UNI=/sys/fs/cgroup/unified
[ -d "$UNI" ] || UNI=/sys/fs/cgroup
OWN=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
[ "$OWN" = / ] && OWN=
OTHER=$UNI$OWN/soak-00000000-0000-4000-8000-000000000000
cleanup2() {
  kill $by1 $by2 2>/dev/null || true
  if [ -d "$OTHER" ]; then echo 1 > "$OTHER/cgroup.kill" 2>/dev/null || true; sleep 0.2; rmdir "$OTHER" || true; fi
  rm -rf "$T"
}
trap cleanup2 EXIT
mkdir "$OTHER"
echo $by2 > "$OTHER/cgroup.procs"

soak run --db "$DB" -w exec -d 1s --no-progress -q -- true || fail "setup run exited $?"
dead_pid() { true & local p=$!; wait $p; echo $p; }
craft() { # craft PROCS-LINES: run 1 'running' with a dead runner and the hostile paths
  printf '%s\n' "$@" > "$X/soak-x/cgroup.procs"
  q "update runs set status='running', runner_pid=$(dead_pid), cgroup_paths=json_object('mode','hybrid',
     'memory','/sys/fs/cgroup/../../..$X/soak-x','cpu','$X/soak-empty','unified','$OTHER') where id=1"
  sum_before=$(cat "$X/soak-x/cgroup.procs" | md5sum)
}
check_untouched() {
  kill -0 $by1 2>/dev/null || fail "$1: the bystander listed in the /tmp cgroup.procs was killed"
  kill -0 $by2 2>/dev/null || fail "$1: the bystander in a cgroup the suite did not make was killed"
  [ -d "$X/soak-empty" ] || fail "$1: an empty directory the suite did not make was removed"
  [ -d "$OTHER" ] || fail "$1: a cgroup the suite did not make was removed"
  grep -qx "$by2" "$OTHER/cgroup.procs" || fail "$1: the bystander left its cgroup"
  [ "$(cat "$X/soak-x/cgroup.procs" | md5sum)" = "$sum_before" ] || fail "$1: cgroup.procs in /tmp changed"
  [ "$(q "select status from runs where id=1")" = incomplete ] || fail "$1: run not marked incomplete"
}

# A: for real, with a "not-a-pid" line (once kill(0, SIGKILL): soakctl's own
# process group; setsid keeps that from reaching this script).
craft $by1 not-a-pid
rc=0; setsid "$SOAKCTL" runs --db "$DB" > "$T/out" 2> "$T/err" || rc=$?
[ $rc -eq 0 ] || fail "A: soakctl runs exited $rc: $(cat "$T/err")"
check_untouched A
grep -q "refused to touch .*'\.\.'" "$T/err" || fail "A: no line saying why the path was refused: $(cat "$T/err")"
pass "A: hostile record refused ($(head -1 "$T/err")), bystanders alive, nothing removed"

# B: with a "-1" line, under strace with every kill() failing (EPERM injected):
# no kill(..., SIGKILL) may be attempted at all.
craft $by1 -1 not-a-pid 0
# LeakSanitizer cannot run under ptrace: leaks are checked in part A.
rc=0; ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o "$T/strace" -e trace=kill,pidfd_send_signal -e inject=kill:error=EPERM \
  setsid "$SOAKCTL" runs --db "$DB" > /dev/null 2> "$T/err" || rc=$?
[ $rc -eq 0 ] || fail "B: soakctl runs exited $rc"
if grep -E 'kill\(.*SIGKILL|pidfd_send_signal' "$T/strace"; then fail "B: recovery tried to kill something"; fi
check_untouched B
pass "B: '-1' line: no kill attempted ($(grep -c 'kill(' "$T/strace") kill(pid, 0) liveness checks only)"

# C: a genuine kill -9 of a runner whose command left a grandchild: the next
# soakctl command kills it and removes the run's cgroups.
"$SOAKCTL" run --db "$DB" -w exec -d 60s --no-progress -q -- sh -c "sleep 4242 & echo \$! > $T/gc; sleep 100" &
runner=$!
for _ in $(seq 50); do [ -s "$T/gc" ] && break; sleep 0.1; done
gc=$(cat "$T/gc")
kill -9 $runner; wait $runner 2>/dev/null || true
soak runs --db "$DB" > /dev/null 2> "$T/err" || fail "C: soakctl runs exited $?"
sleep 0.3
state=$(awk '/^State:/ {print $2}' /proc/$gc/status 2>/dev/null || true)
[ -z "$state" ] || [ "$state" = Z ] || fail "C: the grandchild $gc is alive (state $state)"
[ "$(q "select status from runs where id=2")" = incomplete ] || fail "C: run 2 is $(q "select status from runs where id=2")"
grep -q "refused" "$T/err" && fail "C: recovery refused the suite's own cgroups: $(cat "$T/err")"
q "update runs set cgroup_paths=null, cgroup_mode='none' where id=1"
assert_no_cgroups
check_untouched C
pass "C: kill -9: grandchild gone, cgroups removed, bystanders still alive"
