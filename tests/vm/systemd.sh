#!/usr/bin/env bash
# systemd.sh BUILD_DIR OUT [SCENARIOS]: boots Debian's cloud kernel with pure
# cgroup v2 into a Debian 12 rootfs with systemd as PID 1 (tests/vm/rootfs.sh,
# cached; booted with -snapshot so it stays clean), with the binaries under
# test from BUILD_DIR on a second disk (a tar archive), runs the scenarios
# (tests/vm/guest/systemd-main.sh; default: session, dscope, service, user)
# and checks that every one passed. OUT keeps the console log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:?usage: systemd.sh BUILD_DIR OUT [SCENARIOS]}" && pwd)
OUT=${2:?usage: systemd.sh BUILD_DIR OUT [SCENARIOS]}
SCEN=${3:-session,dscope,service,user}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
kdir=$("$VM_DIR/kernel.sh") || vm_fail "cannot fetch Debian's kernel (tests/vm/kernel.sh)"
img=$("$VM_DIR/rootfs.sh" | tail -1) && [ -s "$img" ] || vm_fail "cannot build the Debian rootfs (tests/vm/rootfs.sh)"
ver=$(cat "$kdir/version")

t0=$(date +%s.%N)
# Tiny initramfs: load virtio_pci and virtio_blk (modules in the cloud
# kernel; ext4 is built in), mount /dev/vda, switch to systemd.
ir=$OUT/initrd
rm -rf "$ir"; mkdir -p "$ir"/{bin,lib/modules,proc,sys,dev,newroot}
install -m 0755 /bin/busybox "$ir/bin/busybox"
: > "$ir/modules"
for m in virtio_pci virtio_blk; do   # one at a time: modprobe reads a second name as a parameter
  modprobe -d "$kdir" -S "$ver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' |
    while read -r ko; do
      b=$(basename "$ko")
      grep -qx "$b" "$ir/modules" || { cp "$ko" "$ir/lib/modules/$b"; echo "$b" >> "$ir/modules"; }
    done
done
[ -s "$ir/modules" ] || vm_fail "no virtio modules found in $kdir"
cat > "$ir/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
echo "VMTEST-BOOT $(uname -r) initramfs uptime $(cut -d' ' -f1 /proc/uptime)s"
while read -r m; do insmod /lib/modules/$m || echo "VMTEST-INITRD insmod $m failed"; done < /modules
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "VMTEST-INITRD cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys; mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
EOF
chmod 0755 "$ir/init"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.gz"
# The binaries disk: a plain tar archive the guest unpacks from /dev/vdb.
bin=$OUT/bin
rm -rf "$bin"; mkdir -p "$bin"/{cli,workloads,tests}
install -m 0755 "$BUILD/cli/soakctl" "$bin/cli/soakctl"
install -m 0755 "$BUILD/workloads/soak-worker" "$bin/workloads/soak-worker"
install -m 0755 "$BUILD/tests/sysfix" "$bin/tests/sysfix"
cp -a "$VM_DIR/guest" "$bin/guest"
tar -cf "$OUT/bin.tar" -C "$bin" .
# What the binaries need and the rootfs lacks would fail every check: say so here.
missing=$(for b in soakctl soak-worker sysfix; do f=$(find "$bin" -name "$b" -type f); ldd "$f"; done |
  awk '$2 == "=>" { print $1 }' | sort -u | while read -r l; do
    case "$(debugfs -R "stat /usr/lib/x86_64-linux-gnu/$l" "$img" 2>&1)" in *Inode:*) continue ;; esac
    case "$(debugfs -R "stat /lib/x86_64-linux-gnu/$l" "$img" 2>&1)" in *Inode:*) continue ;; esac
    echo "$l"
  done)
[ -z "$missing" ] || vm_fail "the rootfs lacks libraries the build links: $missing (add their packages to tests/vm/rootfs.sh)"
echo "vm: systemd guest disks prepared in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")s; kernel $ver, rootfs $img"

expected=()
for s in ${SCEN//,/ }; do
  for c in limits oom syscalls kill9; do expected+=("$s.$c"); done
done
log=$OUT/console.log
if ! vm_boot "$log" "${SOAK_VM_TIMEOUT:-1200}" 150 -snapshot \
     -drive "file=$img,format=raw,if=virtio" -drive "file=$OUT/bin.tar,format=raw,if=virtio,readonly=on" \
     -kernel "$kdir/vmlinuz" -initrd "$OUT/initrd.gz" \
     -append "console=ttyS0 quiet panic=-1 no_timer_check cgroup_no_v1=all systemd.show_status=false soakvm.scenarios=$SCEN ${SOAK_VM_APPEND:-}"; then
  vm_results "$log" "${expected[@]}" || true
  vm_fail "$VM_WHY"
fi
echo "vm: systemd guest booted in ${VM_BOOT_S}s, finished in ${VM_TOTAL_S}s (console: $log)"
vm_results "$log" "${expected[@]}" || vm_fail "scenario checks failed (console: $log)"
echo "ok: systemd guest, scenarios $SCEN: ${#expected[@]} checks passed"
