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
# Asserts that no cgroup directory made by this suite is left anywhere.
assert_no_cgroups() {
  local left
  left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name 'soak-*' 2>/dev/null | grep -v "soak-test-" || true)
  [ -z "$left" ] || fail "cgroup directories left behind: $left"
}
# json_get FILE EXPR: evaluates a python expression over the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# approx A B TOL: |A-B| <= TOL*|B|
approx() { python3 -c "import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=t*abs(b) else 1)" "$1" "$2" "$3"; }
