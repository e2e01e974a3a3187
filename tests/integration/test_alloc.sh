#!/usr/bin/env bash
# Allocators by name and verified injection, both ways:
# - a registered name (soak.ini via --config) whose library exports no malloc
#   ends with status allocator-mismatch, a message and an event, early, and
#   soakctl exits 2;
# - exec: the runner finds the requested library in the command's maps
#   (allocator_observed = its path); a static binary, which LD_PRELOAD cannot
#   reach, must not pass as verified, plain or under --repeat;
# - `soakctl allocators` lists the built-ins as ok and broken registrations
#   with their reason; an unknown name is one line and exit 2; a missing
#   built-in names its Debian package (hidden with an overlay whiteout in a
#   private mount namespace); the run record keeps name, path, size, mtime
#   and env, and the env reaches the command.
source "$(dirname "$0")/lib.sh"
cd "$T" # ./soak.ini is looked up in the working directory: keep it ours
H=$SOAK_BUILD/tests
NOMALLOC=$H/libnomalloc.so
[ -f "$NOMALLOC" ] || fail "$NOMALLOC was not built (tests/helpers/libnomalloc.c)"
LIBC=$(readlink -f "$(ldd "$SOAK_BUILD/workloads/soak-worker" | awk '$1 ~ /^libc\.so/ { print $3 }')")
lib_of() { "$SOAKCTL" allocators | awk -v n="$1" '$1 == n && $2 == "ok" { print $3 }'; }
MIMALLOC=$(lib_of mimalloc)
JEMALLOC=$(lib_of jemalloc)
[ -n "$MIMALLOC" ] && [ -n "$JEMALLOC" ] || fail "mimalloc/jemalloc do not resolve: $("$SOAKCTL" allocators)"

mkdir -p "$T/cfg"
cat > "$T/cfg/soak.ini" <<INI
[allocator.nomalloc]
path = $NOMALLOC

[allocator.je]
path = $JEMALLOC
env = MALLOC_CONF=narenas:1 SOAK_TEST_ALLOC_ENV=hello

[allocator.broken]
path = /nonexistent/soak-test/libbroken.so

[allocator.notelf]
path = /etc/hostname
INI
CFG=$T/cfg/soak.ini
run_id() { q "select max(id) from runs"; }

# ---- (a) registered name whose library exports no malloc ----
rc=0
soak run --db "$DB" --config "$CFG" -a nomalloc -w tiny_hot -d 5s -i 100ms --no-progress 2> "$T/err" || rc=$?
# The run is recorded (status allocator-mismatch), and soakctl exits 2: an
# error, not a result.
[ $rc = 2 ] || fail "mismatch run: soakctl exited $rc, expected 2 ($(cat "$T/err"))"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = allocator-mismatch ] \
  || fail "nomalloc: status $(q "select status||': '||coalesce(message,'') from runs where id=$id")"
msg=$(q "select message from runs where id=$id")
case $msg in
  *"allocator mismatch"*"nomalloc"*"$NOMALLOC"*"$LIBC"*) ;;
  *) fail "nomalloc: message does not name the request and what was observed: '$msg'" ;;
esac
grep -qF "$msg" "$T/err" || fail "nomalloc: the message was not printed: $(cat "$T/err")"
[ "$(q "select allocator_observed from runs where id=$id")" = "$LIBC" ] \
  || fail "nomalloc: allocator_observed $(q "select allocator_observed from runs where id=$id")"
[ "$(q "select count(*) from events where run_id=$id and kind='allocator_mismatch'")" = 1 ] \
  || fail "nomalloc: no allocator_mismatch event"
last=$(q "select max(t) from samples where run_id=$id")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2.0 else 1)" "$last" \
  || fail "nomalloc: the mismatched run was not stopped early (last sample at $last s of 5 s)"
pass "registered library without malloc: allocator-mismatch after $last s: $msg"

# ---- (b) exec: the library in the command's maps ----
soak run --db "$DB" -a mimalloc -w exec -d 3s -i 100ms --no-progress -q -- sleep 1 || fail "exec mimalloc exited $?"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = ok ] || fail "exec mimalloc: status $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
[ "$(q "select allocator_observed from runs where id=$id")" = "$MIMALLOC" ] \
  || fail "exec mimalloc: allocator_observed '$(q "select allocator_observed from runs where id=$id")', expected $MIMALLOC"
soak run --db "$DB" -w exec -d 3s -i 100ms --no-progress -q -- sleep 0.5 || fail "exec system exited $?"
id=$(run_id)
[ "$(q "select status || ' ' || allocator_observed from runs where id=$id")" = "ok system (no injection)" ] \
  || fail "exec system: $(q "select status || ' ' || coalesce(allocator_observed,'NULL') from runs where id=$id")"
pass "exec: mimalloc found in the command's maps ($MIMALLOC)"

# An external command cannot say which library serves malloc: a library that
# does not export malloc and free is refused before anything runs.
before=$(q "select count(*) from runs")
rc=0
soak run --db "$DB" -a "$NOMALLOC" -w exec -d 1s --no-progress -q -- sleep 0.1 2> "$T/nm.err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/nm.err")" = 1 ] && grep -q "does not export malloc" "$T/nm.err" \
  || fail "exec with a library without malloc: exit $rc, $(cat "$T/nm.err")"
[ "$(q "select count(*) from runs")" = "$before" ] || fail "exec with a library without malloc: a run was recorded"
pass "exec with a library without malloc refused: $(cat "$T/nm.err")"

# A statically linked command never maps the library: LD_PRELOAD does not
# reach it, so the run must not pass as a verified mimalloc run.
printf '#include <stdlib.h>\n#include <unistd.h>\nint main(int c, char **v){free(malloc(64));usleep(c > 1 ? atoi(v[1]) * 1000 : 1000000);return 0;}\n' > "$T/static.c"
if cc -static -O1 -o "$T/static" "$T/static.c" 2> "$T/cc.err"; then
  # Refused up front (exit 2, one line, nothing recorded), plain and --repeat.
  for mode in "" --repeat; do
    before=$(q "select count(*) from runs")
    rc=0
    soak run --db "$DB" -a mimalloc -w exec $mode -d 1s -i 100ms --no-progress -q -- "$T/static" 100 2> "$T/static.err" || rc=$?
    [ $rc = 2 ] || fail "exec ${mode:-plain} static: soakctl exited $rc, expected 2"
    [ "$(wc -l < "$T/static.err")" = 1 ] && grep -q "statically linked" "$T/static.err" \
      || fail "exec ${mode:-plain} static: message '$(cat "$T/static.err")'"
    [ "$(q "select count(*) from runs")" = "$before" ] || fail "exec ${mode:-plain} static: a run was recorded"
  done
  pass "exec of a static binary with -a mimalloc refused: $(cat "$T/static.err")"
  # Without injection (system) a static binary is fine.
  soak run --db "$DB" -w exec -d 1s -i 100ms --no-progress -q -- "$T/static" 100 || fail "exec system static exited $?"
  [ "$(q "select status from runs where id=$(run_id)")" = ok ] || fail "exec system static not ok"
else
  fail "cannot build a static test binary: $(cat "$T/cc.err")"
fi

# ---- (c) the registry ----
"$SOAKCTL" allocators --config "$CFG" > "$T/list" || fail "allocators exited $?"
cat "$T/list"
for a in system mimalloc jemalloc tcmalloc je; do
  grep -Eq "^$a +ok " "$T/list" || fail "allocators: $a not listed as ok"
done
# A library without malloc (libz.so, our libnomalloc.so) is no allocator.
grep -Eq "^nomalloc +unusable +$NOMALLOC does not export malloc and free: it is not a memory allocator" "$T/list" \
  || fail "allocators: nomalloc listed as $(grep '^nomalloc' "$T/list")"
# No early exit in awk: ldconfig would die of SIGPIPE and, with pipefail, the
# assignment would end the test silently (seen once in CI).
LIBZ=$(ldconfig -p | awk '$1 == "libz.so.1" && /x86-64/ && !f { print $NF; f = 1 }')
if [ -n "$LIBZ" ]; then
  printf '[allocator.zlib]\npath = %s\n' "$LIBZ" > "$T/cfg/z.ini"
  "$SOAKCTL" allocators --config "$T/cfg/z.ini" | grep -Eq "^zlib +unusable +.*does not export malloc and free" \
    || fail "allocators: libz listed as $("$SOAKCTL" allocators --config "$T/cfg/z.ini" | grep '^zlib')"
fi
grep -Eq "^je +ok +$JEMALLOC +env: MALLOC_CONF=narenas:1 SOAK_TEST_ALLOC_ENV=hello +\[$CFG\]" "$T/list" \
  || fail "allocators: je's path, env or source not shown"
grep -Eq "^broken +missing +.*/nonexistent/soak-test/libbroken.so.*No such file" "$T/list" \
  || fail "allocators: broken entry without its reason"
grep -Eq "^notelf +unusable +.*/etc/hostname is not an ELF shared library" "$T/list" \
  || fail "allocators: non-ELF entry without its reason"
[ "$(grep -c '^broken ' "$T/list")" = 1 ] || fail "allocators: broken listed more than once"

before=$(q "select count(*) from runs")
expect_usage() { # WHAT PATTERN ARGS...: exit 2, one line on stderr matching PATTERN, no run
  local what=$1 pat=$2 rc=0
  shift 2
  soak run --db "$DB" -w tiny_hot -d 1s --no-progress "$@" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(wc -l < "$T/err")" = 1 ] || fail "$what: $(wc -l < "$T/err") lines on stderr: $(cat "$T/err")"
  grep -Eq "$pat" "$T/err" || fail "$what: message '$(cat "$T/err")' does not match '$pat'"
  [ "$(q "select count(*) from runs")" = "$before" ] || fail "$what: a run was recorded"
  echo "  $what: $(cat "$T/err")"
}
expect_usage "unknown name" "unknown allocator 'no-such-alloc'" -a no-such-alloc
expect_usage "registered bad path" "allocator broken: cannot open /nonexistent/soak-test/libbroken.so" --config "$CFG" -a broken
expect_usage "registered non-ELF" "/etc/hostname is not an ELF shared library" --config "$CFG" -a notelf
expect_usage "bare bad path" "/nonexistent/soak-test/x.so" -a /nonexistent/soak-test/x.so
expect_usage "missing --config" "cannot read config $T/none.ini" --config "$T/none.ini" -a mimalloc
printf '[allocator.typo]\npath = %s\npaht = x\n' "$JEMALLOC" > "$T/typo.ini"
expect_usage "unknown INI key" "unknown key 'paht' in \[allocator.typo\]" --config "$T/typo.ini" -a typo
pass "registry: built-ins ok, broken entries listed with reasons, bad names one line + exit 2"

# A missing built-in names the Debian package that installs it. Hide
# libmimalloc with overlayfs whiteouts over the library directory, in a
# private mount namespace (nothing outside this test sees it).
LIBDIR=$(dirname "$MIMALLOC")
mkdir -p "$T/ov/up" "$T/ov/work"
for f in libmimalloc.so.2 libmimalloc.so; do mknod "$T/ov/up/$f" c 0 0; done
rc=0
unshare -m --propagation private true 2> /dev/null || rc=99 # no mount namespaces here
[ $rc = 99 ] || unshare -m --propagation private bash -c '
  mount -t overlay soak-test-ov -o "lowerdir=$1,upperdir=$2/ov/up,workdir=$2/ov/work" "$1" 2> "$2/mount.err" || exit 99
  "$3" allocators > "$2/list2"
  "$3" run --db "$4" -a mimalloc -w tiny_hot -d 1s --no-progress 2> "$2/err2"
' _ "$LIBDIR" "$T" "$SOAKCTL" "$DB" || rc=$?
[ -e "$MIMALLOC" ] || fail "the overlay leaked out of its namespace"
if [ $rc = 99 ]; then
  echo "SKIP (missing built-in): cannot mount an overlay over $LIBDIR in a mount namespace: $(cat "$T/mount.err" 2> /dev/null)"
else
  [ $rc = 2 ] || fail "missing mimalloc: run exited $rc ($(cat "$T/err2" 2>/dev/null))"
  grep -Eq "^mimalloc +missing +allocator mimalloc is not installed: apt-get install libmimalloc2.0" "$T/list2" \
    || fail "missing mimalloc: allocators says $(grep '^mimalloc' "$T/list2")"
  grep -q "apt-get install libmimalloc2.0" "$T/err2" && [ "$(wc -l < "$T/err2")" = 1 ] \
    || fail "missing mimalloc: run says $(cat "$T/err2")"
  [ "$(q "select count(*) from runs")" = "$before" ] || fail "missing mimalloc: a run was recorded"
  pass "missing built-in: $(cat "$T/err2")"
fi

# ---- the run record: name, path, size, mtime, env; the env reaches the command ----
soak run --db "$DB" --config "$CFG" -a je -w exec -d 3s -i 100ms --no-progress -q -- \
  sh -c 'echo "env=$SOAK_TEST_ALLOC_ENV conf=$MALLOC_CONF"; sleep 0.5' || fail "je exec exited $?"
id=$(run_id)
real=$(readlink -f "$JEMALLOC")
expect="je|$real|$(stat -L -c %s "$JEMALLOC")|$(stat -L -c %Y "$JEMALLOC")|MALLOC_CONF=narenas:1 SOAK_TEST_ALLOC_ENV=hello|ok|$real"
got=$(q "select allocator_name, allocator_path, allocator_size, allocator_mtime, allocator_env, status, allocator_observed from runs where id=$id")
[ "$got" = "$expect" ] || fail "run record: got '$got', expected '$expect'"
out=$(q "select group_concat(cast(data as text), '') from (select data from logs where run_id=$id and stream='stdout' order by id)")
[ "$out" = "env=hello conf=narenas:1" ] || fail "the allocator's env did not reach the command: '$out'"
# NAME=PATH on the command line, built-in worker.
soak run --db "$DB" -a "mine=$JEMALLOC" -w tiny_hot -d 1s -i 100ms --no-progress -q || fail "NAME=PATH exited $?"
id=$(run_id)
got=$(q "select allocator_name, allocator_path, allocator_env is null, status, allocator_observed from runs where id=$id")
[ "$got" = "mine|$real|1|ok|$real" ] || fail "NAME=PATH record: $got"
# system: no path, no file.
soak run --db "$DB" -w tiny_hot -d 1s -i 100ms --no-progress -q || fail "system exited $?"
id=$(run_id)
got=$(q "select allocator_name, allocator_path is null, allocator_size is null, allocator_mtime is null, allocator_observed from runs where id=$id")
[ "$got" = "system|1|1|1|$LIBC" ] || fail "system record: $got"
assert_no_cgroups
pass "run records keep name, path, size, mtime and env; the env reaches the workload"

# A comparison that includes a mismatched run shows it and exits 2: it did not
# measure what it names.
rc=0
"$SOAKCTL" compare system nomalloc --config "$CFG" --db "$DB" --repeat 1 -d 2s -i 250ms -q --no-progress \
  > "$T/cmp.md" 2> "$T/cmp.err" || rc=$?
[ $rc = 2 ] || fail "compare with a mismatched allocator exited $rc"
grep -q "allocator-mismatch x1" "$T/cmp.md" || fail "compare table does not show the mismatch"
grep -q "ended allocator-mismatch" "$T/cmp.err" || fail "compare did not say why it exits 2: $(cat "$T/cmp.err")"
assert_no_cgroups
pass "compare with a mismatched allocator: table shows it, exit 2"

# An allocator path with a space, a colon or a '$' (the loader splits
# LD_PRELOAD at spaces and colons and expands $LIB): injected through a
# private link, verified (the malloc() seen is the library asked for), the
# link's directory removed after the run.
for d in "my dir" "a:b" 'x$LIB'; do
  mkdir -p "$T/$d"; cp "$JEMALLOC" "$T/$d/libje.so"
  before=$(find /tmp -maxdepth 1 -name "soak-preload-*" | wc -l)
  soak run --db "$T/sp.db" -w tiny_hot -a "$T/$d/libje.so" -d 1s -i 200ms -q --no-progress \
    2> "$T/sp.err" || fail "allocator in '$d': exit $?: $(cat "$T/sp.err")"
  st=$(sqlite3 "$T/sp.db" "select status || ' ' || coalesce(allocator_observed, '') from runs order by id desc limit 1")
  [ "$st" = "ok $T/$d/libje.so" ] || fail "allocator in '$d' (tiny_hot): $st"
  soak run --db "$T/sp.db" -w exec -a "$T/$d/libje.so" -d 3s -i 200ms -q --no-progress -- sleep 10 \
    2> "$T/sp.err" || fail "allocator in '$d' (exec): exit $?: $(cat "$T/sp.err")"
  st=$(sqlite3 "$T/sp.db" "select status || ' ' || coalesce(allocator_observed, '') from runs order by id desc limit 1")
  [ "$st" = "ok $T/$d/libje.so" ] || fail "allocator in '$d' (exec): $st"
  [ "$(find /tmp -maxdepth 1 -name "soak-preload-*" | wc -l)" = "$before" ] || fail "allocator in '$d': the link's directory was left"
done
pass "allocator paths with a space, a colon, a \$: injected, verified, nothing left"
