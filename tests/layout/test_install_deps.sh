#!/usr/bin/env bash
# scripts/install-deps.sh installs in two tiers, checked against dpkg's own
# record of which package owns each tool (ground truth, not a table kept here):
#   - the default list holds the package of every tool building and running
#     need (cc, cmake, git, pkg-config, gnuplot for HTML plots, sqlite3);
#   - --tests adds the package of every tool the tests, the VM tests and
#     scripts/fuzz.sh call, and none of those is in the default list (the
#     .deb and scripts/demo.sh stay free of QEMU, Chromium, strace...);
#   - an unknown option is one line naming it, exit 2, nothing installed;
#   - scripts/demo.sh asks for the default tier, scripts/test.sh for --tests.
set -euo pipefail
src=${SOAK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
deps=$src/scripts/install-deps.sh
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

base=$("$deps" --list)
all=$("$deps" --list --tests)

# A list and what its packages pull in, two dependency levels deep
# (build-essential -> gcc -> gcc-12 owns cc; python3 -> python3-minimal).
deps_of() {
  dpkg-query -W -f='${Pre-Depends}, ${Depends}\n' "$@" 2>/dev/null |
    tr ',|' '\n\n' | sed 's/([^)]*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u
}
closure() {
  local l1 l2
  l1=$(deps_of $1)
  l2=$(deps_of $l1)
  printf '%s\n' $1 $l1 $l2 | sort -u
}
# The package that owns each file, from one dpkg -S over every spelling of
# every path: as given and resolved, with and without /usr (Debian 12 merges
# /bin into /usr/bin; dpkg records either).
declare -A OWNER
owners() {
  local c=() p r o line
  for p in "$@"; do r=$(readlink -f "$p"); c+=("$p" "${p#/usr}" "$r" "${r#/usr}"); done
  while IFS= read -r line; do
    o=${line%%: *}; OWNER[${line#*: }]=${o%%:*}
  done < <(dpkg -S "${c[@]}" 2>/dev/null | grep -v '^diversion' || true)
}
check() { # check LIST-NAME LIST TOOL-OR-PATH...
  local name=$1 list t p r o c paths=()
  list=$(closure "$2")
  shift 2
  for t in "$@"; do
    case $t in /*) p=$t ;; *) p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$t") || p=; ;; esac
    paths+=("$p")
  done
  owners $(printf '%s\n' "${paths[@]}" | grep .)
  for t in "$@"; do
    p=${paths[0]}; paths=("${paths[@]:1}")
    [ -n "$p" ] || { fail "$t is not installed (scripts/install-deps.sh --tests)"; continue; }
    r=$(readlink -f "$p") o=
    for c in "$p" "${p#/usr}" "$r" "${r#/usr}"; do [ -n "${OWNER[$c]:-}" ] && { o=${OWNER[$c]}; break; }; done
    [ -n "$o" ] || { fail "no package owns $p"; continue; }
    grep -qx "$o" <<<"$list" || fail "$t comes from $o, which the $name list does not install"
  done
}
# Building and running.
check default "$base" cc cmake git pkg-config gnuplot sqlite3
# The tests: python3 (check-includes, arithmetic), strace, xmllint, pgrep, clang
# and libFuzzer's runtime, man and col (install test), dpkg-shlibdeps (package
# test), chromium (HTML test), the VM tests' QEMU, busybox, cpio, debootstrap,
# mkfs.ext4, modprobe; the Slurm test's daemons and client, munge; the server
# recipe's redis-server, redis-cli and redis-benchmark.
fuzzer=$(ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null | head -1)
[ -n "$fuzzer" ] || fail "libFuzzer's runtime is not installed (scripts/install-deps.sh --tests)"
check tests "$all" python3 strace xmllint pgrep clang man col dpkg-shlibdeps chromium \
  qemu-system-x86_64 busybox cpio debootstrap mkfs.ext4 modprobe slurmctld slurmd sbatch munged \
  redis-server redis-cli redis-benchmark \
  /usr/lib/python3/dist-packages/yaml/__init__.py ${fuzzer:+"$fuzzer"}
for p in $base; do grep -qx "$p" <<<"$all" || fail "--tests drops $p of the default list"; done
for p in strace chromium qemu-system-x86 clang libclang-rt-14-dev debootstrap busybox-static man-db dpkg-dev \
         slurmctld slurmd munge redis-server redis-tools; do
  grep -qx "$p" <<<"$base" && fail "test tool $p is in the default (build and run) list"
done

rc=0; out=$("$deps" --bogus 2>&1) || rc=$?
[ $rc = 2 ] || fail "an unknown option exited $rc, not 2"
[ "$(wc -l <<<"$out")" = 1 ] && grep -q "unknown option '--bogus'" <<<"$out" || fail "unknown option message: $out"

grep -qE '^scripts/install-deps\.sh$' "$src/scripts/demo.sh" || fail "demo.sh does not install the default tier"
grep -qE '^scripts/install-deps\.sh --tests$' "$src/scripts/test.sh" || fail "test.sh does not install --tests"

[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "1 passed, 0 failed"
