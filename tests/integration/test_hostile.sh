#!/usr/bin/env bash
# Hostile numbers and commands at the command line (docs/faults.md, rows 3
# and 13): each is refused with one line that says why, exit 2, and no run
# record, so a typo in a nightly job cannot become a silent or bogus result.
source "$(dirname "$0")/lib.sh"
refused() { # refused WHAT PATTERN ARGS...: exit 2, one line matching PATTERN, no run recorded
  local what=$1 pat=$2; shift 2
  local rc=0 before
  before=$( [ -e "$DB" ] && q "select count(*) from runs" || echo 0)
  soak run --db "$DB" -q --no-progress "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$T/err"))"
  [ "$(wc -l < "$T/err")" = 1 ] || fail "$what: $(wc -l < "$T/err") lines: $(cat "$T/err")"
  grep -qE "$pat" "$T/err" || fail "$what: '$(cat "$T/err")' does not match /$pat/"
  if [ -e "$DB" ]; then
    [ "$(q "select count(*) from runs")" = "$before" ] || fail "$what: a run record was created"
  fi
  echo "  $what: $(cat "$T/err")"
}
refused "-d 1s1s" "duration 1s1s: not a valid TIME" -w exec -d 1s1s -- /bin/true
refused "-d 0x3" "duration 0x3: not a valid TIME" -w exec -d 0x3 -- /bin/true
refused "-d 1e3" "not a valid TIME" -w exec -d 1e3 -- /bin/true
refused "--memory-max 10000000T" "memory-max 10000000T: out of range" -w exec --memory-max 10000000T -d 1s -- /bin/true
refused "--memory-max 1" "below the floor of 1M" -w exec --memory-max 1 -d 1s -- /bin/true
refused "--cpu-max 0.0001%" "below 1%, the smallest CPU quota" -w exec --cpu-max 0.0001% -d 1s -- /bin/true
grep -q "root" "$T/err" && fail "--cpu-max 0.0001%: the message talks about root"
refused "exec a directory" "'/tmp' is not an executable file" -w exec --no-cgroup -d 1s -- /tmp
refused "exec \"\"" "'' is not an executable file" -w exec --no-cgroup -d 1s -- ""
pass "hostile numbers and commands refused before any run record"

# Row 3: a shared object whose e_shoff wraps the old bounds check (soakctl
# died of SIGSEGV, rc 139): refused with one line, no run record.
python3 - "$SOAK_BUILD/tests/libsizelog.so" "$T/bad.so" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[0x28:0x30] = struct.pack('<Q', 0xffffffffffffff60)
open(sys.argv[2], 'wb').write(b)
PY
refused "-a with e_shoff 0xffffffffffffff60" "bad.so is not an ELF shared library" -a "$T/bad.so" -w exec --no-cgroup -d 1s -- /bin/true
refused "-a NAME= same library" "is not an ELF shared library" -a "bad=$T/bad.so" -w random_mixed --no-cgroup -d 1s
pass "damaged ELF refused"

# Self-reported counters: -510 and inf were stored and summed into the
# syscall total. Now each is unavailable with a reason, the total is not
# computed, and an event says why.
soak run --db "$DB" -w exec --no-cgroup -d 1s -i 100ms -q --no-progress -- \
  sh -c 'echo "[SS_OS_STATS] madvise=inf mmap_total=-510 alloc=7"; exit 0' || true
id=$(q "select max(id) from runs")
[ "$(q "select value from run_values where run_id=$id and name='selfreport.SS_OS_STATS.alloc'")" = 7.0 ] \
  || fail "a valid counter was not kept: $(q "select name, value, reason from run_values where run_id=$id")"
for k in mmap_total madvise syscalls_total; do
  row=$(q "select coalesce(value, 'NULL') || '|' || coalesce(reason, '') from run_values where run_id=$id and name='selfreport.SS_OS_STATS.$k'")
  case "$row" in NULL\|*negative*) ;; *) fail "selfreport $k stored as '$row'";; esac
done
[ "$(q "select count(*) from events where run_id=$id and kind='selfreport_invalid'")" = 2 ] \
  || fail "no selfreport_invalid events"
pass "negative and non-finite self-reported counters flagged, not summed"

# Terminal escapes and CSV formulas: a label, a worker message and a command
# name holding escape sequences reach neither stdout nor stderr raw; a label
# that a spreadsheet would run as a formula is neutralised in CSV.
esc=$(printf 'x\033]0;pwned\007\033[31mred\302\233y')
soak run --db "$DB" -w exec --no-cgroup -d 1s -q --no-progress --label "$esc" -- /bin/true || true
soak run --db "$DB" -w exec --no-cgroup -d 1s -q --no-progress --label '=HYPERLINK("http://x","y")' -- /bin/true || true
{ soak runs --db "$DB"; soak report --db "$DB" --label "$esc"; soak report --db "$DB" --label "$esc" --format csv
  soak run --db "$DB" -w exec -d 1s -q --no-progress -- "/x$esc" || true; } > "$T/tty.out" 2>&1
if grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$T/tty.out"; then
  fail "control characters reached the terminal: $(grep -P '[\x00-\x08\x0b-\x1f\x7f]' "$T/tty.out" | od -c | head -5)"
fi
grep -qF 'x?]0;pwned??[31mred?y' "$T/tty.out" || fail "the label is not shown with '?' for its controls"
soak report --db "$DB" --label '=HYPERLINK("http://x","y")' --format csv -o "$T/r.csv"
grep -qF "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" "$T/r.csv" || fail "formula cell not neutralised: $(tail -1 "$T/r.csv")"
pass "terminal output has no control characters; CSV formula cells neutralised"

# --tp-pattern that glibc's matcher runs for seconds per line (found by
# tests/fuzz/fuzz_tp_pattern) is refused before the run.
refused "--tp-pattern s++++/s" "a repetition right after another" -w exec --repeat --no-cgroup -d 1s \
  --tp-pattern 'ops++++++++++++++++++++++/s: ([0-9.]+)' -- /bin/true
pass "--tp-pattern with stacked repetitions refused"
