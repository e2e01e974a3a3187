#!/usr/bin/env bash
# The smaller faults of the nightly path (docs/faults.md): each case is the
# input that went wrong and the exact text or file that must come out now.
source "$(dirname "$0")/lib.sh"
SY=$SOAK_BUILD/tests/synthdb
[ -x "$SY" ] || fail "synthdb not built ($SY)"

# gnuplot reads _ ^ @ { } in text as markup: an allocator my_alloc_v2 was drawn
# "my" with subscripts in the history plots' legends. Text is literal now.
"$SY" "$T/h.db" my_alloc_v2 4 2 100 0.02 -1 0 1 10 > /dev/null
if command -v gnuplot > /dev/null; then
  soak history --db "$T/h.db" --format html --output "$T/h.html" || fail "history html exited $?"
  grep -q "<text>S1 my_alloc_v2" "$T/h.html" || fail "legend text is not literal: $(grep -o '<text><tspan[^<]*>my[^/]*' "$T/h.html" | head -2)"
  pass "gnuplot text is literal: my_alloc_v2 in the legend"
fi

# Thresholds: a misspelt workload section was silently never applied; hex was
# read as a number (0x10 = 16).
"$SY" "$T/g.db" sysG 1 1 100 0.02 -1 0 2 10 > /dev/null
printf '[gate]\nalpha = 0.05\n[gate.tiny-hot]\ncv_max_pct = 3\n' > "$T/t1.ini"
set +e; soak gate --db "$T/g.db" --latest --thresholds "$T/t1.ini" > /dev/null 2> "$T/t1.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "t1.ini:3: \[gate.tiny-hot\] names no workload" "$T/t1.err" \
  || fail "a misspelt [gate.tiny-hot]: exit $rc: $(cat "$T/t1.err")"
printf '[gate]\ncv_max_pct = 0x10\n' > "$T/t2.ini"
set +e; soak gate --db "$T/g.db" --latest --thresholds "$T/t2.ini" > /dev/null 2> "$T/t2.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "'0x10' is not a number" "$T/t2.err" || fail "hex threshold: exit $rc: $(cat "$T/t2.err")"
printf '[gate.tiny_hot]\ncv_max_pct = 3\n[gate.exec]\ncv_max_pct = 3\n' > "$T/t3.ini"
set +e; soak gate --db "$T/g.db" --latest --thresholds "$T/t3.ini" > /dev/null 2> "$T/t3.err"; rc=$?; set -e
[ $rc != 2 ] || fail "real workload sections refused: $(cat "$T/t3.err")"
pass "thresholds: a misspelt [gate.tiny-hot] and a hex value refused (exit 2, file and line)"

# --date takes calendar dates only (2026-02-30 made the label nightly-2026-02-30).
printf '[plan]\nallocators = system\nduration = 1s\n[workload.a]\nname = tiny_hot\n' > "$T/p.ini"
for d in 2026-02-30 2026-04-31 2025-02-29; do
  set +e; soak plan run "$T/p.ini" --date $d --dry-run --db "$T/p.db" > /dev/null 2> "$T/d.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "$d" "$T/d.err" && grep -q "no such day" "$T/d.err" || fail "--date $d: exit $rc: $(cat "$T/d.err")"
done
soak plan run "$T/p.ini" --date 2028-02-29 --dry-run --db "$T/p.db" > "$T/d.out" || fail "--date 2028-02-29 (leap) refused"
grep -q "nightly-2028-02-29" "$T/d.out" || fail "leap day label: $(head -2 "$T/d.out")"
pass "--date: 2026-02-30, 2026-04-31, 2025-02-29 refused; 2028-02-29 taken"

# A host class is a name: over 255 characters, or with a control character
# (newline, ESC), it is refused, from --host-class and from SOAK_HOST_CLASS
# (was: cut at 511 characters without a word; newlines and ESC stored).
long=$(printf 'h%.0s' $(seq 600))
for hc in "$long" "$(printf 'a\nb')" "$(printf 'a\033[31mb')"; do
  set +e; soak run --db "$T/hc.db" -w tiny_hot -d 1s -q --no-progress --host-class "$hc" 2> "$T/hc.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "host class" "$T/hc.err" || fail "--host-class (${#hc} chars): exit $rc: $(cat "$T/hc.err")"
  [ "$(wc -l < "$T/hc.err")" = 1 ] || fail "--host-class: more than one line: $(cat "$T/hc.err")"
  set +e; SOAK_HOST_CLASS=$hc soak run --db "$T/hc.db" -w tiny_hot -d 1s -q --no-progress 2> "$T/hc.err"; rc=$?; set -e
  [ $rc = 2 ] && grep -q "SOAK_HOST_CLASS" "$T/hc.err" || fail "SOAK_HOST_CLASS (${#hc} chars): exit $rc: $(cat "$T/hc.err")"
done
[ ! -e "$T/hc.db" ] || [ "$(sqlite3 "$T/hc.db" "select count(*) from runs")" = 0 ] || fail "a refused host class recorded a run"
pass "host class: 600 characters, a newline, ESC refused from --host-class and SOAK_HOST_CLASS"

# A relative path = in soak.ini is relative to the file's directory, not to
# the working directory (a cron job runs elsewhere).
mkdir -p "$T/cfg/lib" "$T/elsewhere"
JE=$("$SOAKCTL" allocators | awk '$1 == "jemalloc" && $2 == "ok" { print $3 }')
[ -n "$JE" ] || fail "jemalloc does not resolve: $("$SOAKCTL" allocators)"
cp "$JE" "$T/cfg/lib/libje.so"
printf '[allocator.je]\npath = lib/libje.so\n' > "$T/cfg/soak.ini"
(cd "$T/elsewhere" && "$SOAKCTL" allocators --config ../cfg/soak.ini) > "$T/al.out" 2>&1 || true
grep -Eq "^je +ok +$T/cfg/lib/libje.so" "$T/al.out" || fail "relative path = from another directory: $(grep '^je' "$T/al.out")"
(cd "$T/elsewhere" && "$SOAKCTL" run --db "$T/rel.db" --config ../cfg/soak.ini -a je -w tiny_hot -d 1s -i 200ms -q --no-progress) \
  || fail "run with a relative path = exited $?"
[ "$(sqlite3 "$T/rel.db" "select status || ' ' || allocator_path from runs")" = "ok $T/cfg/lib/libje.so" ] \
  || fail "run with a relative path =: $(sqlite3 "$T/rel.db" "select status, allocator_path from runs")"
pass "a relative path = in soak.ini is taken from the file's directory"

# merge into an OUT that is a symbolic link: the merged database is written
# through to the link's target, the link stays (was: replaced by a file).
"$SY" "$T/m1.db" sysM 2 1 100 0.02 -1 0 5 5 > /dev/null
"$SY" "$T/m2.db" sysM 2 1 100 0.02 -1 0 6 5 > /dev/null
mkdir "$T/store"; cp "$T/m1.db" "$T/store/real.db"; ln -s store/real.db "$T/link.db"
soak merge -q "$T/link.db" "$T/m2.db" || fail "merge into a symlinked OUT exited $?"
[ -L "$T/link.db" ] || fail "merge replaced the symbolic link OUT with a file"
[ "$(readlink "$T/link.db")" = store/real.db ] || fail "the link now points to $(readlink "$T/link.db")"
[ "$(sqlite3 "$T/store/real.db" "select count(*) from runs")" = 4 ] || fail "the link's target holds $(sqlite3 "$T/store/real.db" "select count(*) from runs") runs, want 4"
[ -z "$(ls "$T" | grep 'merge-')" ] && [ -z "$(ls "$T/store" | grep 'merge-')" ] || fail "temporary files left"
ln -s store/missing.db "$T/dangling.db"
set +e; soak merge -q "$T/dangling.db" "$T/m2.db" 2> "$T/dl.err"; rc=$?; set -e
[ $rc = 2 ] && grep -q "symbolic link to a missing file" "$T/dl.err" || fail "dangling OUT link: exit $rc: $(cat "$T/dl.err")"
[ -L "$T/dangling.db" ] && [ ! -e "$T/store/missing.db" ] || fail "a dangling OUT link was changed"
pass "merge into a symlinked OUT writes through to its target; a dangling link is refused"

# history --permutations and --seed did nothing since change points use a
# windowed t test: they are refused with a line saying so, and gone from the
# help (from which the man page and completion are written).
for cmd in history "gate --history"; do
  for opt in "--permutations 999" "--seed 3" "--seed=3"; do
    set +e; soak $cmd --db "$T/h.db" $opt > /dev/null 2> "$T/rm.err"; rc=$?; set -e
    [ $rc = 2 ] && grep -q -- "${opt%%[ =]*} was removed" "$T/rm.err" || fail "$cmd $opt: exit $rc: $(cat "$T/rm.err")"
    [ "$(wc -l < "$T/rm.err")" = 1 ] || fail "$cmd $opt: more than one line: $(cat "$T/rm.err")"
  done
  soak $cmd --help | grep -Eq -- "--permutations|--seed" && fail "$cmd --help still lists --permutations/--seed"
done
soak history --db "$T/h.db" --format json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert "seed" not in j, "seed in the JSON"' \
  || fail "history JSON still has a seed"
pass "history, gate --history: --permutations and --seed refused as removed, gone from the help and JSON"
