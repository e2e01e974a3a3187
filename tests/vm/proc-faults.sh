#!/usr/bin/env bash
# proc-faults.sh BUILD_DIR OUT: the process rows of docs/faults.md in a pure
# cgroup v2 guest (Debian's cloud kernel, cgroup_no_v1=all, busybox
# initramfs), with tests/vm/lib.sh and tests/vm/kernel.sh (kernel cache, QEMU
# boot with retry). Exit 0 when every VMTEST proc.* line passed.
# no_timer_check: under TCG on a loaded host the kernel can panic in its
# IO-APIC timer check (seen once here).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: proc-faults.sh BUILD_DIR OUT}" && pwd)
OUT=${2:?usage: proc-faults.sh BUILD_DIR OUT}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
kdir=$("$VM_DIR/kernel.sh") || vm_fail "cannot fetch Debian's kernel (tests/vm/kernel.sh)"
root=$OUT/root
rm -rf "$root"; mkdir -p "$root"/{bin,soak/bin,etc,proc,sys,dev,tmp}
install -m 0755 /bin/busybox "$root/bin/busybox"
add_prog "$root" "$BUILD/cli/soakctl" /soak/cli/soakctl
add_prog "$root" "$BUILD/workloads/soak-worker" /soak/workloads/soak-worker
add_prog "$root" "$BUILD/tests/hold" /soak/tests/hold
add_prog "$root" "$(command -v sqlite3)" /soak/bin/sqlite3
add_prog "$root" "$(command -v strace)" /soak/bin/strace
install -m 0755 "$VM_DIR/guest/proc-faults.sh" "$root/init"
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || add_prog "$root" /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.gz"
log=$OUT/console.log
vm_boot "$log" "${SOAK_VM_TIMEOUT:-1200}" "${SOAK_VM_BOOT_TIMEOUT:-240}" -kernel "$kdir/vmlinuz" -initrd "$OUT/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 no_timer_check cgroup_no_v1=all" || vm_fail "$VM_WHY"
vm_results "$log" proc.row1 proc.row2 proc.row5 proc.row8 proc.row9 proc.row10-cgroup proc.row10-no-cgroup \
  proc.row11 proc.cgroups || vm_fail "process fault checks failed in the v2 guest (console: $log)"
echo "ok: pure cgroup v2 guest: process fault rows passed"
