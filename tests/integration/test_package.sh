#!/usr/bin/env bash
# CPack builds a .deb whose Depends are exactly the Debian packages of the
# libraries its binaries link (found here independently: ldd + dpkg -S), that
# apt can resolve, with soakctl, the worker, man pages, completion and docs in
# the FHS places; unpacked with dpkg -x (the machine's /usr is not touched) it
# runs a soak from the unpacked tree.
source "$(dirname "$0")/lib.sh"
for tool in cpack dpkg-deb dpkg-shlibdeps apt-get; do
  command -v $tool >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done

cpack --config "$SOAK_BUILD/CPackConfig.cmake" -G DEB -B "$T/pkg" > "$T/cpack.log" 2>&1 ||
  { cat "$T/cpack.log"; fail "cpack failed"; }
debs=("$T"/pkg/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "cpack made ${#debs[@]} packages: ${debs[*]}"
deb=${debs[0]}
[ "$(dpkg-deb -f "$deb" Package)" = soak ] || fail "package name $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "architecture"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"

dpkg-deb -c "$deb" | awk '{ print $NF }' > "$T/files"
for f in ./usr/bin/soakctl ./usr/libexec/soak/soak-worker ./usr/share/man/man1/soakctl.1 \
         ./usr/share/man/man1/soakctl-run.1 ./usr/share/man/man1/soakctl-report.1 \
         ./usr/share/bash-completion/completions/soakctl ./usr/share/doc/soak/README.md \
         ./usr/share/doc/soak/examples/gate.ini; do
  grep -qxF "$f" "$T/files" || fail "$f is not in the package"
done
! grep -qE '^\./usr/(local|tests?|workloads)/|test_' "$T/files" || fail "test or build files in the package: $(grep -E 'test' "$T/files")"
pass "contents: $(grep -vc '/$' "$T/files") files in FHS places"

dpkg-deb -x "$deb" "$T/root"
# Ground truth: the packages that own the libraries the binaries link
# directly (their DT_NEEDED entries, resolved to files by ldd).
want=$(for b in "$T/root/usr/bin/soakctl" "$T/root/usr/libexec/soak/soak-worker"; do
         readelf -d "$b" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | while read -r so; do
           ldd "$b" | awk -v so="$so" '$1 == so && $3 ~ /^\// { print $3 }'
         done
       done | sort -u | while read -r lib; do
         dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"
       done | sed 's/:.*//' | sort -u)
got=$(tr ',' '\n' <<< "$depends" | sed -E 's/^ *//; s/ .*//' | sort -u)
[ -n "$want" ] || fail "no linked library found with ldd"
[ "$want" = "$got" ] || fail "Depends differ from the packages of the linked libraries:
$(diff <(echo "$want") <(echo "$got"))"
pass "Depends = packages of the linked libraries: $(echo $want)"

# The names are real packages apt can install (simulation: nothing changes).
apt-get -s -qq install "$deb" > "$T/apt.log" 2>&1 || { cat "$T/apt.log"; fail "apt cannot resolve the package's dependencies"; }
pass "apt-get -s install resolves the package"

# The unpacked tree runs: the worker is found at ../libexec/soak/.
S=$T/root/usr/bin/soakctl
env -u SOAK_WORKER "$S" workloads > "$T/wl.out" || fail "unpacked soakctl workloads: exit $?"
grep -qx random_mixed "$T/wl.out" || fail "unpacked soakctl workloads lists no workloads"
env -u SOAK_WORKER "$S" run --db "$DB" -w tiny_hot -d 2s -i 250ms --memory-max 128M --no-progress -q ||
  fail "unpacked soakctl run: exit $?"
[ "$(q "select status from runs where id=1")" = ok ] || fail "run from the unpacked package: $(q 'select status||message from runs')"
assert_no_cgroups
pass "a soak from the unpacked package ends ok"
