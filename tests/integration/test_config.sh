#!/usr/bin/env bash
# soak.ini parsed exactly (docs/faults.md, row 7): a 35-variable env = line
# (over the 199 characters Debian's libinih keeps) reaches the workload whole,
# with shell-like quoting (A="x y" is one variable, no shell involved); a long
# line cannot replace path; duplicates and bad lines are refused with the
# file's real line number, before any run is recorded (and a database the
# refused command would have created is not left behind).
source "$(dirname "$0")/lib.sh"
LIB=$SOAK_BUILD/tests/libsizelog.so
[ -f "$LIB" ] || fail "$LIB not built"
vars=""
for i in $(seq 0 34); do vars+="VAR$i=$i "; done
pad=$(printf '%0250d' 0)
cat > "$T/soak.ini" <<INI
; padding comment $pad
[allocator.t]
path = $LIB
env = ${vars}Q="x y" R='a \$HOME b' PAD=$pad S="path = /evil.so"
INI
[ "$(sed -n 4p "$T/soak.ini" | wc -c)" -gt 400 ] || fail "the env line is not long"
soak run --db "$DB" --config "$T/soak.ini" -a t -w exec --no-cgroup -d 2s -i 100ms -q --no-progress \
  -- sh -c "env > $T/env.out; exit 0" || true
[ -s "$T/env.out" ] || fail "the command did not run"
python3 - "$T/env.out" "$pad" <<'PY' || fail "environment differs"
import sys
env = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition("=")
    env[k] = v
want = {f"VAR{i}": str(i) for i in range(35)}
want.update(Q="x y", R="a $HOME b", PAD=sys.argv[2], S="path = /evil.so")
bad = {k: (env.get(k), v) for k, v in want.items() if env.get(k) != v}
if bad:
    print("FAIL: env values:", bad)
    sys.exit(1)
print("  35 variables + Q, R, PAD (250 chars), S arrived exactly")
PY
[ "$(q "select allocator_path from runs order by id desc limit 1")" = "$(readlink -f "$LIB")" ] \
  || fail "path is not the configured one: $(q "select allocator_path from runs order by id desc limit 1")"
pass "long env line reached the workload exactly"

n=$(q "select count(*) from runs")
check() { # check WHAT PATTERN: the config in $T/bad.ini is refused with PATTERN
  local rc=0
  soak run --db "$DB" --config "$T/bad.ini" -a t -w exec --no-cgroup -d 1s -q --no-progress -- /bin/true \
    2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$1: exit $rc ($(cat "$T/err"))"
  grep -qF -- "$2" "$T/err" || fail "$1: '$(cat "$T/err")' does not contain '$2'"
  echo "  $1: $(cat "$T/err")"
}
printf '[allocator.t]\npath = %s\n; %s\npath = /x\n' "$LIB" "$pad" > "$T/bad.ini"
check "duplicate key" "$T/bad.ini:4: key 'path' given twice in [allocator.t] (first at line 2)"
printf '[allocator.t]\npath = %s\n\n[allocator.t]\n' "$LIB" > "$T/bad.ini"
check "duplicate section" "$T/bad.ini:4: duplicate section [allocator.t] (first at line 1)"
printf '[allocator.t]\n; %s\npath = %s\nenv = A="x y\n' "$pad" "$LIB" > "$T/bad.ini"
check "unclosed quote" "$T/bad.ini:4: env: a quote is not closed"
printf '[allocator.t]\n; %s\n; %s\npath = %s\nthis is not ini\n' "$pad" "$pad" "$LIB" > "$T/bad.ini"
check "syntax" "$T/bad.ini:5: not INI syntax"
[ "$(q "select count(*) from runs")" = "$n" ] || fail "a refused config recorded a run"
pass "config errors name the file's real line"

# A refused config with a database that does not exist yet: nothing is
# recorded, so no database file (nor -wal/-shm) is left behind either.
rc=0
soak run --db "$T/fresh.db" --config "$T/bad.ini" -a t -w exec --no-cgroup -d 1s -q --no-progress -- /bin/true \
  2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "fresh database: exit $rc ($(cat "$T/err"))"
left=$(ls "$T" | grep '^fresh\.db' || true)
[ -z "$left" ] || fail "a refused config left $(echo $left) behind"
pass "a refused config leaves no database file"
