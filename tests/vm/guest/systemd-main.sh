#!/bin/sh
# systemd-main.sh - the systemd guest's scenarios (Debian 12, systemd 252 as
# PID 1, pure cgroup v2), run by soak-vmtest.service (tests/vm/rootfs.sh)
# from the binaries disk unpacked in /opt/soak. Prints VMTEST lines on the
# serial console and powers the guest off. Scenarios (soakvm.scenarios= on
# the kernel command line; default all):
#   session  root in a real login session (su -l: pam_systemd puts it in
#            session-N.scope, next to su itself)
#   dscope   root alone in `systemd-run --scope -p Delegate=yes` (what the
#            old error message told users to type)
#   service  root as a system service (systemd-run --wait --pipe), next to
#            another process of the service
#   user     a non-root user (uid 1000, lingering) in a login session
# Each should end up in a cgroup with the limits applied (a delegated scope
# from systemd), and leave nothing behind.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The serial getty starts with multi-user, like this service, and hangs up
# ttyS0 when it opens it: output to the fd this service was given is then
# lost (seen once: every VMTEST line of a whole run missing, the checks ran).
# Stop the getty, then reopen the console.
systemctl stop serial-getty@ttyS0.service > /dev/null 2>&1 || true
exec > /dev/ttyS0 2>&1
export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0
S=/opt/soak
export SOAKCTL=$S/cli/soakctl SYSFIX=$S/tests/sysfix
W=/tmp/vmtest; mkdir -p $W; chmod 0755 $W
. $S/guest/checks.sh
state=$(systemctl is-system-running --wait 2>&1)
echo "VMTEST-SYSTEMD $(systemctl --version | head -1) state $state uptime $(cut -d' ' -f1 /proc/uptime)s"
echo "VMTEST-INFO root subtree_control: $(cat $CG/cgroup.subtree_control); user@1000: $(systemctl is-active user@1000.service); tracefs: $(ls /sys/kernel/tracing/events/syscalls > /dev/null 2>&1 && echo mounted || echo absent)"
# Root's user manager runs from now on, as soakuser's does (lingering): a
# login then adds only its session scope, which logind removes at logout.
loginctl enable-linger root
systemctl start user@0.service user@1000.service
# The user managers' own D-Bus (socket-activated at the first connection, and
# kept) is started now, so that it is not taken for a leftover of a run; its
# units are ignored in case they appear later anyway (a run's scope in
# app.slice is still seen).
for u in root soakuser; do su -l -c 'busctl --user status > /dev/null' -- $u; done
VM_CG_IGNORE='/user@[0-9]*\.service/\(app\|session\)\.slice\(/dbus\.\(socket\|service\)\)\{0,1\}$'
scenarios=$(sed -n 's/.*soakvm\.scenarios=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$scenarios" ] || scenarios=session,dscope,service,user
CHECKS="limits oom syscalls kill9"

# su passes the words after the user name to the login shell's -c command
# as $0 and $@ (util-linux su): no quoting needed.
scenario_session() {
  soak_in_place() { exec su -l -c 'exec "$0" "$@"' -- root "$SOAKCTL" "$@"; }
  VM_PLACEMENT=systemd-scope
  for c in $CHECKS; do run_check session $c; done
}
scenario_dscope() {
  soak_in_place() { exec systemd-run --quiet --scope --collect -p Delegate=yes -- "$SOAKCTL" "$@"; }
  VM_PLACEMENT=leaf-move
  for c in $CHECKS; do run_check dscope $c; done
}
scenario_service() {
  soak_in_place() {
    exec systemd-run --quiet --wait --pipe --collect -p Type=exec -E SYSTEMD_PAGER=cat -- \
      /bin/sh -c 'sleep 100000 & exec "$@"' sh "$SOAKCTL" "$@"
  }
  VM_PLACEMENT=systemd-scope
  for c in $CHECKS; do run_check service $c; done
}
scenario_user() {
  W=/tmp/vmtest-user; mkdir -p $W; chown soakuser $W
  soak_in_place() { exec su -l -c 'exec "$0" "$@"' -- soakuser "$SOAKCTL" "$@"; }
  VM_NONROOT=1 VM_PLACEMENT=systemd-scope
  for c in $CHECKS; do run_check user $c; done
  VM_NONROOT=
  W=/tmp/vmtest
}

# Not a test: what each way of starting a process gives here (for debugging:
# soakvm.scenarios=probe).
scenario_probe() {
  show() { echo "VMTEST-PROBE $1: $(timeout 60 sh -c "$2" 2>&1 < /dev/null | tr '\n' ' ')"; }
  show "su root sleep" "su -l root -c 'sleep 2; echo slept'"
  show "su root" "su -l root -c 'id -u; cat /proc/self/cgroup'"
  show "su user" "su -l soakuser -c 'id -u; cat /proc/self/cgroup; echo \$XDG_RUNTIME_DIR'"
  show "scope" "systemd-run --quiet --scope --collect -p Delegate=yes -- cat /proc/self/cgroup"
  show "service" "systemd-run --quiet --wait --pipe --collect -- cat /proc/self/cgroup"
  show "soakctl" "su -l root -c '$SOAKCTL run --db /tmp/p.db -w tiny_hot -d 2s --no-progress -q; echo exit \$?'"
  ( exec su -l root -c 'echo bg-start; sleep 1; echo bg-end' ) > /tmp/bg.out 2>&1 &
  bg=$!
  sleep 5
  echo "VMTEST-PROBE background su: state $(awk '/^State:/ {print $2}' /proc/$bg/status 2>/dev/null) out $(cat /tmp/bg.out | tr '\n' ' ')"
  ( soak_in_place() { exec su -l -c 'exec "$0" "$@"' -- root "$SOAKCTL" "$@"; }
    soak_in_place run --db /tmp/p2.db -w tiny_hot -d 2s --no-progress -q ) > /tmp/bg2.out 2>&1 &
  bg=$!
  sleep 10
  echo "VMTEST-PROBE background soak_in_place: state $(awk '/^State:/ {print $2}' /proc/$bg/status 2>/dev/null) out $(cat /tmp/bg2.out | tr '\n' ' ')"
  ( exec su -l root -c 'echo bg3-start; sleep 2; echo bg3-end' ) > /tmp/bg3.out 2>&1 &
  sleep 10
  echo "VMTEST-PROBE processes: $(proc_list)"
  echo "VMTEST-PROBE bg3: $(cat /tmp/bg3.out | tr '\n' ' ')"
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
systemctl poweroff --no-block
