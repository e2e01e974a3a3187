# lib.sh - shared by the integration tests: real soaks, real cgroups, as root.
# Each test sources this file, uses $SOAKCTL and a fresh database in $T.
set -euo pipefail
: "${SOAKCTL:?run through ctest (SOAKCTL is set there)}"
: "${SOAK_BUILD:?}"
T=$(mktemp -d /tmp/soak-test.XXXXXX)
DB=$T/soak.db
export SOAK_TEST_NAME=${0##*/}
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root for real cgroups (CI runs as root)"; exit 77
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
# q SQL: one value from the test database.
q() { sqlite3 -batch -noheader "$DB" "$1"; }
# soak ARGS: soakctl with the test database.
soak() { "$SOAKCTL" "$@"; }
# Asserts that the cgroup directories of every run in $DB are gone (other
# soaks may run on the machine at the same time: only ours are checked).
assert_no_cgroups() {
  local left
  left=$(sqlite3 -batch -noheader "$DB" "select cgroup_paths from runs where cgroup_paths is not null" |
    python3 -c '
import json, os, sys
for line in sys.stdin:
    line = line.strip()
    if not line or line == "{}": continue
    for k, p in json.loads(line).items():
        # the directories a run makes; "parent" (and a systemd scope) are not its own
        if k in ("memory", "cpu", "unified", "leaf") and p and os.path.isdir(p): print(p)')
  [ -z "$left" ] || fail "cgroup directories left behind: $left"
  [ "$(q "select count(*) from runs where cgroup_mode != 'none' and (cgroup_paths is null or cgroup_paths = '{}')")" = 0 ] \
    || fail "a run with cgroups did not record their paths"
}
# json_get FILE EXPR: evaluates a python expression over the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# said LINE CMD...: soakctl CMD exits 2, its stderr is exactly LINE, nothing
# on stdout, $DB not created (bad input: one line, nothing written). Each
# LINE is appended to $T/said-lines.
said() {
  local want=$1; shift
  local rc=0
  soak "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$*: exit $rc, expected 2 ($(cat "$T/err"))"
  [ "$(cat "$T/err")" = "$want" ] || fail "$*: said '$(cat "$T/err")', expected '$want'"
  [ ! -s "$T/out" ] || fail "$*: wrote to stdout: $(cat "$T/out")"
  [ ! -e "$DB" ] || fail "$*: created the database"
  echo "$want" >> "$T/said-lines"
}
# doc_example DOC TAG: the first ```sh block after <!-- TAG --> in DOC (a path
# below $SOAK_SRC), its S= line set to the soakctl under test.
doc_example() {
  python3 - "$SOAK_SRC/$1" "$2" <<'PY' | sed "s|^S=.*|S=$SOAKCTL|"
import sys
text = open(sys.argv[1]).read()
i = text.index("<!-- %s -->" % sys.argv[2])
block = text[text.index("```sh\n", i) + 6:]
print(block[:block.index("```")])
PY
}
# approx A B TOL: |A-B| <= TOL*|B|
approx() { python3 -c "import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=t*abs(b) else 1)" "$1" "$2" "$3"; }
