#!/usr/bin/env bash
# Where a run's cgroups go on this (hybrid or v1) host, checked against the
# kernel's own view (/proc/PID/cgroup of the workload, the limit files):
# - the default stays as it always was: v1 memory/cpu below soakctl's own v1
#   cgroups, the cgroup2 child below soakctl's own cgroup2 path; recorded as
#   placement 'own';
# - --cgroup-parent PATH (hybrid): the cgroup2 child below PATH, relative to
#   /sys/fs/cgroup/unified or absolute; the v1 limits stay below soakctl's own
#   v1 cgroups (the limits of the cgroup soakctl was started in still apply);
#   recorded as 'cgroup-parent'; nothing left below PATH afterwards, also
#   after a kill -9 of the runner;
# - a bad --cgroup-parent: one line, exit 2, and no database file created.
# The pure cgroup v2 paths (leaf-move, systemd scope) run in the VM tests.
source "$(dirname "$0")/lib.sh"
U=/sys/fs/cgroup/unified
mode=hybrid
[ -d $U ] && [ "$(stat -f -c %T $U)" = cgroup2fs ] || mode=v1
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && { echo "SKIP: pure cgroup v2 host: tests/vm covers it"; exit 77; }

own_v1=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/self/cgroup)
own_v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$own_v2" = / ] && own_v2=
# cg_of FILE CONTROLLER: the path a workload's /proc/self/cgroup gave for it ("" = cgroup2)
cg_of() { if [ "$2" = "" ]; then sed -n 's/^0:://p' "$1"; else sed -n "s/^[0-9]*:$2:\(.*\)/\1/p" "$1"; fi; }

# 1. The default: unchanged.
soak run --db "$DB" -w exec --memory-max 64M -q --no-progress -d 1s -- sh -c "cat /proc/self/cgroup > $T/cg1"
[ "$(q "select cgroup_mode || ' ' || cgroup_placement from runs where id=1")" = "$mode own" ] \
  || fail "default run recorded as $(q "select cgroup_mode || ' ' || cgroup_placement from runs where id=1")"
mem=$(cg_of "$T/cg1" memory)
case "$mem" in "${own_v1%/}"/soak-*) ;; *) fail "workload's memory cgroup $mem is not below soakctl's own $own_v1";; esac
[ "$(q "select json_extract(cgroup_paths,'$.memory') from runs where id=1")" = "/sys/fs/cgroup/memory$mem" ] \
  || fail "recorded memory dir differs from the workload's"
if [ $mode = hybrid ]; then
  v2=$(cg_of "$T/cg1" "")
  case "$v2" in "$own_v2"/soak-*) ;; *) fail "workload's cgroup2 path $v2 is not below soakctl's own '$own_v2'";; esac
  [ "$(q "select json_extract(cgroup_paths,'$.unified') from runs where id=1")" = "$U$v2" ] \
    || fail "recorded cgroup2 dir differs from the workload's"
fi
soak report --db "$DB" 1 > "$T/rep"
grep -qF "($mode, own)" "$T/rep" || fail "report does not show '($mode, own)'"
pass "default placement: own, below soakctl's own cgroups"

# 2. --cgroup-parent, relative and absolute.
if [ $mode = hybrid ]; then
  P=soak-test-parent-$$
  mkdir "$U/$P"
  cleanup() { rmdir "$U/$P/"* 2>/dev/null || true; rmdir "$U/$P" 2>/dev/null || true; rm -rf "$T"; }
  i=2
  for arg in "$P" "$U/$P"; do
    soak run --db "$DB" --cgroup-parent "$arg" -w exec --memory-max 64M -q --no-progress -d 1s \
      -- sh -c "cat /proc/self/cgroup > $T/cg$i; cat /sys/fs/cgroup/memory\$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)/memory.limit_in_bytes > $T/lim$i"
    [ "$(q "select status || ' ' || cgroup_placement from runs where id=$i")" = "ok cgroup-parent" ] \
      || fail "--cgroup-parent $arg: run $i is $(q "select status || ' ' || cgroup_placement from runs where id=$i")"
    v2=$(cg_of "$T/cg$i" "")
    case "$v2" in /$P/soak-*) ;; *) fail "--cgroup-parent $arg: workload's cgroup2 path is $v2";; esac
    mem=$(cg_of "$T/cg$i" memory)
    case "$mem" in "${own_v1%/}"/soak-*) ;; *) fail "--cgroup-parent $arg: memory cgroup $mem left soakctl's own";; esac
    [ "$(cat "$T/lim$i")" = $((64 << 20)) ] || fail "--cgroup-parent $arg: memory limit read back $(cat "$T/lim$i")"
    [ "$(q "select json_extract(cgroup_paths,'$.parent') from runs where id=$i")" = "$U/$P" ] \
      || fail "--cgroup-parent $arg: parent not recorded"
    soak report --db "$DB" $i > "$T/rep"
    grep -qF "(hybrid, cgroup-parent)" "$T/rep" || fail "report does not show the placement"
    [ -z "$(ls -d "$U/$P"/*/ 2>/dev/null)" ] || fail "cgroups left below $U/$P: $(ls -d "$U/$P"/*/)"
    i=$((i + 1))
  done
  pass "--cgroup-parent: cgroup2 child below it, v1 limits below soakctl's own, nothing left"

  # kill -9 of the runner: the next command marks the run and removes its cgroups.
  "$SOAKCTL" run --db "$DB" --cgroup-parent "$P" -w tiny_hot -q --no-progress -d 60s &
  runner=$!
  for _ in $(seq 100); do [ -n "$(ls -d "$U/$P"/soak-*/ 2>/dev/null)" ] && break; sleep 0.1; done
  [ -n "$(ls -d "$U/$P"/soak-*/ 2>/dev/null)" ] || fail "the run's cgroup never appeared below $U/$P"
  sleep 1
  kill -9 $runner
  wait $runner 2>/dev/null || true
  soak runs --db "$DB" > /dev/null 2>&1
  [ "$(q "select status from runs where id=$i")" = incomplete ] || fail "killed run is $(q "select status from runs where id=$i")"
  for _ in $(seq 50); do [ -z "$(ls -d "$U/$P"/*/ 2>/dev/null)" ] && break; sleep 0.1; done
  [ -z "$(ls -d "$U/$P"/*/ 2>/dev/null)" ] || fail "kill -9: cgroups left below $U/$P: $(ls -d "$U/$P"/*/)"
  pass "--cgroup-parent: kill -9, then the next soakctl removed the run's cgroups"
fi

# 3. Bad --cgroup-parent: one line, exit 2, no database created.
bad() { # bad WHAT PATTERN ARG
  local rc=0
  soak run --db "$T/new.db" --cgroup-parent "$3" -d 1s -q --no-progress > "$T/out" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$1: exit $rc ($(cat "$T/err"))"
  [ "$(wc -l < "$T/err")" = 1 ] || fail "$1: $(wc -l < "$T/err") lines: $(cat "$T/err")"
  grep -qE "$2" "$T/err" || fail "$1: '$(cat "$T/err")' does not match /$2/"
  [ ! -e "$T/new.db" ] || fail "$1: a database file was created"
  echo "  $1: $(cat "$T/err")"
}
if [ $mode = hybrid ]; then
  bad "missing" "No such file" "soak-no-such-parent-$$"
  bad "dot-dot" "'\.\.'" "$P/../.."
  bad "outside the mount" "not below the cgroup2 mount" /tmp
  ln -s "$U/$P" "$T/link"
  bad "symlink to a cgroup, outside the mount" "not below the cgroup2 mount" "$T/link"
else
  bad "v1 host" "needs a cgroup2 hierarchy" x
fi
rc=0
soak run --db "$T/new.db" --no-cgroup --cgroup-parent x -d 1s > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] && [ ! -e "$T/new.db" ] || fail "--no-cgroup with --cgroup-parent: exit $rc"
assert_no_cgroups
pass "bad --cgroup-parent: one line, exit 2, no database file"
