#!/usr/bin/env bash
# Bad input gets one clear line naming the problem, exit 2, and nothing
# half-written: a corrupt database, a locked one, a missing one, unknown run
# ids, bad options of every command.
source "$(dirname "$0")/lib.sh"
one_line() { # one_line WHAT PATTERN CMD...: exit 2, exactly one stderr line matching PATTERN
  local what=$1 pat=$2; shift 2
  local rc=0
  "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$T/err"))"
  [ "$(wc -l < "$T/err")" = 1 ] || fail "$what: $(wc -l < "$T/err") lines on stderr: $(cat "$T/err")"
  grep -qiE "$pat" "$T/err" || fail "$what: message '$(cat "$T/err")' does not match /$pat/"
  echo "  $what: $(cat "$T/err")"
}
# A file that is not a database is refused and left byte for byte as it was.
printf 'not a database\n' > "$T/bad.db"
sum=$(sha256sum < "$T/bad.db")
one_line "corrupt db (run)" "bad.db" soak run --db "$T/bad.db" -d 1s -q --no-progress
one_line "corrupt db (report)" "bad.db" soak report --db "$T/bad.db"
one_line "corrupt db (gate)" "bad.db" soak gate --db "$T/bad.db" --latest
[ "$(sha256sum < "$T/bad.db")" = "$sum" ] || fail "the corrupt file was modified"
ls "$T"/bad.db-* 2>/dev/null && fail "side files created next to the corrupt file"
# A missing database: readers say so and create nothing.
one_line "missing db (report)" "does not exist" soak report --db "$T/none.db"
one_line "missing db (runs)" "does not exist" soak runs --db "$T/none.db"
[ ! -e "$T/none.db" ] || fail "a reader created the missing database"
# A database locked by another writer.
soak run --db "$DB" -w tiny_hot -d 1s -i 250ms -q --no-progress
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(8)
' "$DB" "$T/locked" &
locker=$!
for _ in $(seq 50); do [ -e "$T/locked" ] && break; sleep 0.1; done
one_line "locked db (run)" "locked" soak run --db "$DB" -d 1s -q --no-progress
kill $locker 2>/dev/null || true
wait $locker 2>/dev/null || true
[ "$(q "select count(*) from runs")" = 1 ] || fail "a run was recorded in the locked database"
# Unknown run ids and bad options of every command.
one_line "unknown run id" "99" soak report --db "$DB" 99
one_line "bad report format" "format" soak report --db "$DB" --format xml
one_line "bad interval" "interval" soak run --db "$DB" -i 1ms -d 1s
one_line "warm-up longer than the run" "warmup" soak run --db "$DB" --warmup 5s -d 1s
one_line "unknown workload" "nosuch" soak run --db "$DB" -w nosuch -d 1s
one_line "unknown command" "frobnicate" soak frobnicate
one_line "bad memory size" "memory-max" soak run --db "$DB" --memory-max 12Q -d 1s
one_line "gate thresholds missing" "nope.ini" soak gate --db "$DB" --latest --thresholds "$T/nope.ini"
[ "$(q "select count(*) from runs")" = 1 ] || fail "bad input recorded runs"
assert_no_cgroups
pass "bad input: one line, exit 2, nothing written"
