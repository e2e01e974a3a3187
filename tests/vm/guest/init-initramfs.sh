#!/bin/busybox sh
# /init of the initramfs guest (tests/vm/initramfs.sh): pure cgroup v2
# (cgroup_no_v1=all), no systemd. Runs the scenarios named on the kernel
# command line (soakvm.scenarios=root,container,parent; default all), prints
# VMTEST lines on the serial console, and powers off.
#   root       soakctl in the root cgroup
#   container  soakctl alone in a fresh cgroup, in new cgroup and mount
#              namespaces with cgroup2 remounted (what `docker run` gives)
#   parent     soakctl in a non-root cgroup that holds another process:
#              refused with one line without --cgroup-parent; runs with
#              --cgroup-parent pointing at a cgroup prepared for it
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
export PATH=/soak/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs nodev /sys/kernel/tracing
echo "VMTEST-BOOT $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)s controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"

export SOAKCTL=/soak/cli/soakctl SYSFIX=/soak/tests/sysfix W=/tmp/vmtest
mkdir -p $W
. /soak/guest/checks.sh
scenarios=$(sed -n 's/.*soakvm\.scenarios=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$scenarios" ] || scenarios=root,container,parent
CHECKS="limits oom syscalls kill9"

scenario_root() {
  soak_in_place() { exec "$SOAKCTL" "$@"; }
  VM_PLACEMENT=own
  for c in $CHECKS; do run_check root $c; done
}

# container: every soakctl command starts alone in a fresh cgroup ctrN, in its
# own cgroup and mount namespaces, cgroup2 remounted (umount first: EBUSY
# otherwise). The "container runtime" (this script) removes ctrN afterwards;
# what the run made inside it must be gone by then.
scenario_container() {
  # A container runtime gives its containers memory and cpu (docker, runc).
  echo "+memory +cpu +pids" > $CG/cgroup.subtree_control
  echo 0 > $W/ctr_n
  soak_in_place() {   # runs in a subshell: the counter lives in a file
    n=$(($(cat $W/ctr_n) + 1)); echo $n > $W/ctr_n
    d=$CG/ctr$n
    mkdir "$d" || exit 2
    exec sh -c 'echo $$ > "$0/cgroup.procs" &&
      exec /soak/bin/unshare --cgroup --mount sh -c "umount /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"\$@\"" sh "$@"' \
      "$d" "$SOAKCTL" "$@"
  }
  VM_CG_IGNORE='^/sys/fs/cgroup/ctr[0-9]*$'
  VM_PLACEMENT=leaf-move
  for c in $CHECKS; do
    run_check container $c
    # What the run left inside its container cgroups (checked before the
    # runtime removes them). After kill -9 the runner's recovery runs in a
    # new container: the killed container's tree is the runtime's to remove.
    for d in $CG/ctr*; do
      [ -d "$d" ] || continue
      inner=$(find "$d" -mindepth 1 -type d 2>/dev/null | tr '\n' ' ')
      if [ -n "$inner" ] && [ $c != kill9 ]; then
        vm_result container.$c-inner FAIL "cgroups left inside the container: $inner"
      fi
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  VM_CG_IGNORE=
}

# parent: the runner starts in $CG/busy next to a sleeping neighbour; the
# administrator prepared $CG/prepared with memory and cpu for its children.
scenario_parent() {
  echo "+memory +cpu +pids" > $CG/cgroup.subtree_control
  mkdir -p $CG/busy $CG/prepared
  echo "+memory +cpu" > $CG/prepared/cgroup.subtree_control
  sleep 100000 &
  neighbour=$!
  echo $neighbour > $CG/busy/cgroup.procs
  in_busy() { exec sh -c 'echo $$ > /sys/fs/cgroup/busy/cgroup.procs && exec "$@"' sh "$SOAKCTL" "$@"; }
  # Without --cgroup-parent: one line naming the ways out, exit 2, no run.
  ( in_busy run --db $W/refuse.db -w tiny_hot -d 2s --no-progress -q ) > $W/refuse.out 2>&1
  rc=$?
  n=$(sqlite3 $W/refuse.db "select count(*) from runs" 2>/dev/null || echo 0)
  if [ $rc = 2 ] && [ "$(wc -l < $W/refuse.out)" = 1 ] && grep -q -- --cgroup-parent $W/refuse.out && [ "$n" = 0 ]; then
    vm_result parent.refuse PASS "$(cat $W/refuse.out)"
  else
    vm_result parent.refuse FAIL "exit $rc, $n runs recorded: $(head -c 300 $W/refuse.out)"
  fi
  soak_in_place() {
    if [ "$1" = run ]; then shift; in_busy run --cgroup-parent $CG/prepared "$@"; fi
    in_busy "$@"
  }
  VM_PLACEMENT=cgroup-parent
  for c in $CHECKS; do run_check parent $c; done
  # The administrator's cgroups are theirs; the neighbour is untouched.
  kill -0 $neighbour 2>/dev/null || vm_result parent.neighbour FAIL "the neighbour in busy was killed"
  [ -z "$(find $CG/prepared -mindepth 1 -type d)" ] || vm_result parent.prepared FAIL "left in prepared: $(find $CG/prepared -mindepth 1 -type d | tr '\n' ' ')"
  kill $neighbour; wait $neighbour 2>/dev/null
  rmdir $CG/busy $CG/prepared
}

# soakvm.debug=1: every 30 s, what runs where (to see what a stuck check waits for).
if grep -q 'soakvm\.debug=1' /proc/cmdline; then
  ( while sleep 30; do echo "VMTEST-WATCH uptime $(cut -d' ' -f1 /proc/uptime)s: $(proc_list)"; done ) &
fi
for s in $(echo "$scenarios" | tr ',' ' '); do
  echo "VMTEST-SCENARIO $s uptime $(cut -d' ' -f1 /proc/uptime)s"
  scenario_$s
done
echo "VMTEST-END uptime $(cut -d' ' -f1 /proc/uptime)s"
poweroff -f
