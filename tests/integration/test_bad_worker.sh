#!/usr/bin/env bash
# A bad SOAK_WORKER and a library of another machine are refused with one
# line naming the problem, exit 2 (a directory as SOAK_WORKER exited 2 with
# no message; an aarch64 library was accepted on an x86-64 host).
source "$(dirname "$0")/lib.sh"
set +e
SOAK_WORKER=/tmp soak run --db "$DB" -w tiny_hot -d 1s -q --no-progress 2> "$T/e1"; rc=$?
set -e
[ $rc = 2 ] || fail "SOAK_WORKER=/tmp: exit $rc"
grep -q "SOAK_WORKER is not an executable file" "$T/e1" || fail "SOAK_WORKER=/tmp: '$(cat "$T/e1")'"
set +e
SOAK_WORKER=/nonexistent/soak-worker soak workloads > /dev/null 2> "$T/e2"; rc=$?
set -e
[ $rc = 2 ] && grep -q "SOAK_WORKER names no file" "$T/e2" || fail "missing SOAK_WORKER: exit $rc '$(cat "$T/e2")'"
pass "bad SOAK_WORKER: exit 2 with the reason"
# The test allocator with its ELF header's e_machine set to another machine.
cp "$SOAK_BUILD/tests/libsizelog.so" "$T/foreign.so"
python3 - "$T/foreign.so" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
m = struct.unpack_from("<H", b, 18)[0]
struct.pack_into("<H", b, 18, 183 if m != 183 else 62)   # EM_AARCH64 / EM_X86_64
open(p, "wb").write(b)
PY
set +e
soak run --db "$DB" -a "$T/foreign.so" -w tiny_hot -d 1s -q --no-progress 2> "$T/e3"; rc=$?
set -e
[ $rc = 2 ] || fail "foreign library: exit $rc: $(cat "$T/e3")"
grep -q "built for another machine" "$T/e3" || fail "foreign library: '$(cat "$T/e3")'"
pass "a library of another machine: refused, exit 2"
# /bin/true as SOAK_WORKER passes its --check (exit 0) but never runs the
# workload: the run must not end ok (was: ok with 0.0 s of 1 s). Like any
# failed run it is recorded and `run` exits 0; the gate fails its status.
SOAK_WORKER=/bin/true soak run --db "$DB" -w tiny_hot -d 1s -i 100ms --no-progress > /dev/null 2> "$T/e4" \
  || fail "SOAK_WORKER=/bin/true: exit $?: $(cat "$T/e4")"
st=$(q "select status || '|' || coalesce(message, '') from runs order by id desc limit 1")
case $st in
  "failed|"*"never started its workload"*) ;;
  *) fail "SOAK_WORKER=/bin/true: recorded '$st'" ;;
esac
grep -q "never started its workload" "$T/e4" || fail "SOAK_WORKER=/bin/true: not said: $(cat "$T/e4")"
pass "a SOAK_WORKER that exits 0 without running: failed, with the reason"
