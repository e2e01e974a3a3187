#!/usr/bin/env bash
# Installs everything soak needs on Debian 12 (run as root). Safe to run again.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git
      libcgroup-dev libproc2-dev libsqlite3-dev sqlite3 libcmocka-dev libinih-dev libcjson-dev libsystemd-dev libssl-dev
      libelf-dev
      libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4
      strace libxml2-utils python3
      # CI also builds with clang; the install test renders the man pages
      # (man-db, col from bsdextrautils); CPack's .deb needs dpkg-shlibdeps;
      # libFuzzer's runtime (scripts/fuzz.sh) is in libclang-rt-14-dev
      clang libclang-rt-14-dev man-db bsdextrautils dpkg-dev
      # HTML plots (gnuplot svg terminal); the HTML test loads the pages in headless Chromium
      gnuplot-nox chromium
      # VM tests (tests/vm/): QEMU, the guests' tools, the systemd rootfs builder
      qemu-system-x86 busybox-static cpio debootstrap e2fsprogs kmod util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "soak: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
