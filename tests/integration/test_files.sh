#!/usr/bin/env bash
# Files the suite writes (docs/faults.md, rows 6 and 13): an output never writes
# through a symlink (a planted FILE.tmp link or FILE itself), the target of
# such a link stays byte for byte the same; reports, gate outputs and the
# database are created 0600 whatever the umask; special files as --db are
# refused and /dev/null-journal is never created; reading a database copied
# without its -wal/-shm leaves none behind.
source "$(dirname "$0")/lib.sh"
umask 022
soak run --db "$DB" -w exec --no-cgroup -d 1s -q --no-progress -- /bin/true
[ "$(stat -c %a "$DB")" = 600 ] || fail "database created $(stat -c %a "$DB"), expected 600"
for f in "$DB"-wal "$DB"-shm; do
  [ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ] || fail "$f is $(stat -c %a "$f")"
done
pass "database 0600"

# A database copied without its -wal/-shm: report reads it and leaves neither
# behind, the file byte for byte the same.
cp "$DB" "$T/copy.db"
sum=$(sha256sum < "$T/copy.db")
soak report --db "$T/copy.db" --latest > /dev/null
for f in "$T/copy.db-wal" "$T/copy.db-shm"; do [ ! -e "$f" ] || fail "report left $f behind"; done
[ "$(sha256sum < "$T/copy.db")" = "$sum" ] || fail "report changed a copied database"
pass "report on a copied database: no -wal/-shm left, file unchanged"

printf 'precious: must not change\n' > "$T/victim"
sum=$(sha256sum < "$T/victim")
ln -s "$T/victim" "$T/out.md.tmp"
soak report --db "$DB" -o "$T/out.md"
[ "$(sha256sum < "$T/victim")" = "$sum" ] || fail "report -o wrote through out.md.tmp -> victim"
grep -q '^# Soak report' "$T/out.md" || fail "report not written"
[ "$(stat -c %a "$T/out.md")" = 600 ] || fail "report is $(stat -c %a "$T/out.md")"
ln -s "$T/victim" "$T/link.md"
soak report --db "$DB" -o "$T/link.md"
[ "$(sha256sum < "$T/victim")" = "$sum" ] || fail "report -o wrote through a symlinked target"
[ -f "$T/link.md" ] && [ ! -L "$T/link.md" ] || fail "the symlink was not replaced by the report"
pass "report -o: symlinks not followed, victim unchanged, 0600"

soak gate --db "$DB" --latest --junit "$T/gate.xml" --markdown "$T/gate.md" >/dev/null || true
for f in gate.xml gate.md; do
  [ "$(stat -c %a "$T/$f")" = 600 ] || fail "$f is $(stat -c %a "$T/$f")"
done
pass "gate outputs 0600"

had=0; [ -e /dev/null-journal ] && had=1
rc=0; soak run --db /dev/null -w exec --no-cgroup -d 1s -q --no-progress -- /bin/true 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "--db /dev/null: exit $rc"
grep -q "not a regular file" "$T/err" || fail "--db /dev/null: $(cat "$T/err")"
[ $had = 1 ] || [ ! -e /dev/null-journal ] || fail "/dev/null-journal created"
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
mkfifo "$T/fifo"
rc=0; timeout 20 "$SOAKCTL" runs --db "$T/fifo" 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "--db FIFO: exit $rc ($(cat "$T/err"))"
pass "special files refused as --db: $(cat "$T/err")"
