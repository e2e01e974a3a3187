#!/usr/bin/env bash
# initramfs.sh BUILD_DIR OUT [SCENARIOS]: boots Debian's cloud kernel with
# pure cgroup v2 (cgroup_no_v1=all) on a minimal initramfs holding busybox,
# the binaries under test from BUILD_DIR and the tools the checks use, runs
# the scenarios (tests/vm/guest/init-initramfs.sh; default: root, container,
# parent) and checks that every one passed. OUT keeps the initramfs and the
# console log. Exit 0 = all passed, 1 = a check failed or the VM could not
# start (with the reason).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: initramfs.sh BUILD_DIR OUT [SCENARIOS]}" && pwd)
OUT=${2:?usage: initramfs.sh BUILD_DIR OUT [SCENARIOS]}
SCEN=${3:-root,container,parent}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
kdir=$("$VM_DIR/kernel.sh") || vm_fail "cannot fetch Debian's kernel (tests/vm/kernel.sh)"

t0=$(date +%s.%N)
root=$OUT/root
rm -rf "$root"; mkdir -p "$root"/{bin,soak/bin,etc,proc,sys,dev,tmp}
install -m 0755 /bin/busybox "$root/bin/busybox"
# Whole outputs, not `| grep -q` (pipefail: SIGPIPE of the writer fails the test).
ldd /bin/busybox > /dev/null 2>&1 && vm_fail "/bin/busybox is not static (apt-get install busybox-static)"
add_prog "$root" "$BUILD/cli/soakctl" /soak/cli/soakctl
add_prog "$root" "$BUILD/workloads/soak-worker" /soak/workloads/soak-worker
add_prog "$root" "$BUILD/tests/sysfix" /soak/tests/sysfix
add_prog "$root" "$(command -v sqlite3)" /soak/bin/sqlite3
add_prog "$root" /usr/bin/unshare /soak/bin/unshare     # busybox's has no --cgroup
add_prog "$root" "$(command -v strace)" /soak/bin/strace
mim=$(readlink -f /usr/lib/x86_64-linux-gnu/libmimalloc.so.2)
add_prog "$root" "$mim" /usr/lib/x86_64-linux-gnu/libmimalloc.so.2
cp -a "$VM_DIR/guest" "$root/soak/guest"
install -m 0755 "$VM_DIR/guest/init-initramfs.sh" "$root/init"
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || add_prog "$root" /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
ldconfig -r "$root" 2> /dev/null || true
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.gz"
build_s=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")
echo "vm: initramfs $(du -h "$OUT/initrd.gz" | cut -f1) built in ${build_s}s; kernel $(cat "$kdir/version")"

expected=()
for s in ${SCEN//,/ }; do
  for c in limits oom syscalls kill9; do expected+=("$s.$c"); done
  [ "$s" = parent ] && expected+=(parent.refuse)
done
log=$OUT/console.log
if ! vm_boot "$log" "${SOAK_VM_TIMEOUT:-900}" 120 -kernel "$kdir/vmlinuz" -initrd "$OUT/initrd.gz" \
     -append "console=ttyS0 quiet panic=-1 no_timer_check cgroup_no_v1=all soakvm.scenarios=$SCEN ${SOAK_VM_APPEND:-}"; then
  vm_results "$log" "${expected[@]}" || true
  vm_fail "$VM_WHY"
fi
echo "vm: initramfs guest booted in ${VM_BOOT_S}s, finished in ${VM_TOTAL_S}s (console: $log)"
vm_results "$log" "${expected[@]}" || vm_fail "scenario checks failed (console: $log)"
echo "ok: initramfs guest, scenarios $SCEN: ${#expected[@]} checks passed"
