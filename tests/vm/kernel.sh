#!/usr/bin/env bash
# kernel.sh - fetches Debian 12's own cloud kernel once and caches it:
#   $SOAK_VM_CACHE/kernel/vmlinuz     the kernel
#   $SOAK_VM_CACHE/kernel/lib/modules/<version>/  the package's modules, with
#                                  modules.dep made by depmod (the package's
#                                  postinst would make it)
#   $SOAK_VM_CACHE/kernel/version     the version string (uname -r of the guest)
# Prints the kernel directory. Reused between runs; rebuilt when any part is
# missing. The metapackage linux-image-cloud-amd64 names the versioned
# package (linux-image-6.1.0-N-cloud-amd64) in its Depends; that one is
# downloaded with apt-get (the mirror apt uses here) and unpacked with dpkg-deb.
set -euo pipefail
cache=${SOAK_VM_CACHE:-/var/cache/soak-vm}
dir=$cache/kernel
mkdir -p "$cache"
exec 9> "$cache/.kernel.lock"
flock 9
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/version" ] && [ -s "$dir/lib/modules/$(cat "$dir/version" 2>/dev/null)/modules.dep" ]; then
  echo "$dir"; exit 0
fi
work=$(mktemp -d "$cache/.kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
download() {   # apt-get download, with one apt-get update if the lists are missing or stale
  (cd "$work" && apt-get download -qq "$1" > /dev/null 2>&1) && return 0
  apt-get update -qq > /dev/null 2>&1 || true
  (cd "$work" && apt-get download -qq "$1") || { echo "soak-vm: apt-get download $1 failed" >&2; exit 1; }
}
download linux-image-cloud-amd64
meta=$(ls "$work"/linux-image-cloud-amd64_*.deb)
pkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*-cloud-amd64\).*/\1/p' | head -1)
[ -n "$pkg" ] || { echo "soak-vm: no versioned kernel in the Depends of $meta" >&2; exit 1; }
download "$pkg"
dpkg-deb -x "$work/${pkg}"_*.deb "$work/x"
ver=$(ls "$work/x/lib/modules")
[ -f "$work/x/boot/vmlinuz-$ver" ] || { echo "soak-vm: $pkg has no boot/vmlinuz-$ver" >&2; exit 1; }
rm -rf "$dir.new"; mkdir -p "$dir.new"
cp "$work/x/boot/vmlinuz-$ver" "$dir.new/vmlinuz"
mkdir -p "$dir.new/lib/modules"
mv "$work/x/lib/modules/$ver" "$dir.new/lib/modules/$ver"
depmod -b "$dir.new" "$ver"
echo "$ver" > "$dir.new/version"
echo "$pkg" > "$dir.new/package"
rm -rf "$dir"; mv "$dir.new" "$dir"
echo "soak-vm: cached $pkg ($ver) in $dir" >&2
echo "$dir"
