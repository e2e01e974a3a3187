#!/usr/bin/env bash
# rootfs.sh - a Debian 12 root file system with systemd as PID 1, built once
# with debootstrap (--variant=minbase, the mirror apt uses here) and cached as
# an ext4 image: $SOAK_VM_CACHE/rootfs-<key>.img, key = hash of this script
# (the package list and the configuration below). Prints the image path.
# The binaries under test are NOT in it: the guest reads them from a second
# disk at every boot (tests/vm/systemd.sh), so a new build never rebuilds this.
#
# Configuration: a test user `soakuser` (uid 1000) with lingering enabled (its
# user manager runs from boot and delegates cpu, memory and pids), and one
# unit, soak-vmtest.service, that unpacks the second disk (/dev/vdb, a tar
# archive) into /opt/soak and runs /opt/soak/guest/systemd-main.sh from it.
set -euo pipefail
cache=${SOAK_VM_CACHE:-/var/cache/soak-vm}
pkgs=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,udev,kmod
# The suite's runtime libraries and the checks' tools.
pkgs=$pkgs,libcgroup2,libproc2-0,libsqlite3-0,libinih1,libcjson1,libsystemd0,libelf1,libmimalloc2.0,sqlite3,strace
key=$(sha256sum "$0" | cut -c1-12)
img=$cache/rootfs-$key.img
mkdir -p "$cache"
exec 9> "$cache/.rootfs.lock"
flock 9
[ -s "$img" ] && { echo "$img"; exit 0; }
command -v debootstrap > /dev/null || { echo "soak-vm: debootstrap is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mirror=$(apt-get indextargets --format '$(URI)' 'Codename: bookworm' 'Component: main' 2> /dev/null |
  sed -n 's#^\(.*\)/dists/bookworm/.*#\1#p' | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
work=$(mktemp -d "$cache/.rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/root
t0=$(date +%s)
echo "soak-vm: debootstrap bookworm from $mirror (1-3 minutes, cached afterwards)" >&2
debootstrap --variant=minbase --include="$pkgs" bookworm "$r" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; echo "soak-vm: debootstrap failed (log above)" >&2; exit 1; }
echo soakvm > "$r/etc/hostname"
echo '/dev/vda / ext4 rw,relatime 0 1' > "$r/etc/fstab"
chroot "$r" useradd -m -u 1000 -s /bin/bash soakuser
mkdir -p "$r/var/lib/systemd/linger" && touch "$r/var/lib/systemd/linger/soakuser"
# No password for root on the console (a debugging shell: tests/vm/README.md).
chroot "$r" passwd -d root > /dev/null
cat > "$r/etc/systemd/system/soak-vmtest.service" <<'EOF'
[Unit]
Description=soak VM tests (tests/vm/guest/systemd-main.sh from /dev/vdb)
Wants=systemd-user-sessions.service user@1000.service
After=multi-user.target systemd-user-sessions.service user@1000.service dbus.service
[Service]
Type=simple
Environment=SYSTEMD_PAGER=cat
ExecStart=/bin/sh -c 'mkdir -p /opt/soak && tar -xf /dev/vdb -C /opt/soak && exec /opt/soak/guest/systemd-main.sh'
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/soak-vmtest.service "$r/etc/systemd/system/multi-user.target.wants/soak-vmtest.service"
# Nothing the tests need that would slow a TCG boot down.
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
         systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
rm -rf "$r/var/cache/apt/archives"/*.deb "$r/var/lib/apt/lists"/*
size=$(( $(du -sm "$r" | cut -f1) + 300 ))
mkfs.ext4 -q -F -L soakroot -d "$r" "$work/root.img" "${size}M" >&2   # stdout is the image path only
mv "$work/root.img" "$img"
# Images of other keys stay: another branch's tests may be using them (remove
# old ones by hand: tests/vm/README.md).
echo "soak-vm: rootfs $img built in $(( $(date +%s) - t0 ))s" >&2
echo "$img"
