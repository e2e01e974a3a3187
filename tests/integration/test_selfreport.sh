#!/usr/bin/env bash
# Self-reported counters, checked against the measured syscalls so a program's
# own figures are never taken on trust: a program run as `-w exec` prints
# hakmem's [SS_OS_STATS] line at exit, on stderr, after other text on the same
# line and without a trailing newline, plus an [SS_EXTRA] line on stdout
# (tests/helpers/ssstats.c). The runner stores every TAG.key as run_values
# "selfreport.TAG.key", the seed's syscall total (mmap_total + madvise) as
# selfreport.SS_OS_STATS.syscalls_total, and the reports show the
# self-reported total beside the measured mmap + madvise of the whole run,
# flagged "disagree" when |self - measured| > 10% of measured + 2.
#
# The fixture makes a known number of real mmap and madvise calls, so both
# cases are tested: an honest report (agree) and a false one (disagree). The
# measured side is checked exactly: start-up (the dynamic loader's mmaps,
# measured on a run making no calls, and equal to strace -f -c) plus the calls
# the fixture made. The worker's output is kept as a bounded log per stream.
source "$(dirname "$0")/lib.sh"
FX=$SOAK_BUILD/tests/ssstats
[ -x "$FX" ] || fail "$FX not built"
command -v strace > /dev/null || fail "strace is needed (apt-get install strace)"
run() { soak run --db "$DB" -w exec -d 20s -i 100ms --no-progress -q -- "$FX" "$@"; }
run -m 0 -a 0 -r 0,0                 # 1: no calls: start-up only
run -m 9 -a 9 -r seed                # 2: the seed's literal line, 9 + 9 real calls
run -m 200 -a 100 -r honest          # 3: says 200 + 100, made 200 + 100: agree
run -m 200 -a 100 -r 20,10           # 4: says 20 + 10, made 200 + 100: disagree
run -m 0 -a 0 -r seed -s 1048576     # 5: 1 MiB of stderr before the line
for id in 1 2 3 4 5; do
  [ "$(q "select status from runs where id=$id")" = ok ] || fail "run $id: $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
done
val() { q "select value from run_values where run_id=$1 and name='$2'"; }
num() { python3 -c "import sys; print(repr(float(sys.argv[1])))" "$1"; }

# ---- parsed and stored: the seed line, exactly ----
for kv in alloc=9 free=10 madvise=9 madvise_enomem=0 madvise_other=0 madvise_disabled=0 \
          mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0 syscalls_total=18; do
  k=${kv%=*}; want=${kv#*=}
  got=$(val 2 "selfreport.SS_OS_STATS.$k")
  [ -n "$got" ] || fail "selfreport.SS_OS_STATS.$k not stored"
  [ "$(num "$got")" = "$(num "$want")" ] || fail "selfreport.SS_OS_STATS.$k = $got, want $want"
done
[ "$(q "select count(*) from run_values where run_id=2 and name like 'selfreport.SS_OS_STATS.%'")" = 11 ] \
  || fail "SS_OS_STATS: expected 10 keys + syscalls_total, have $(q "select group_concat(name) from run_values where run_id=2 and name like 'selfreport.SS_OS_STATS.%'")"
[ "$(num "$(val 2 selfreport.SS_EXTRA.phase)")" = 2.0 ] || fail "SS_EXTRA.phase = $(val 2 selfreport.SS_EXTRA.phase)"
[ "$(num "$(val 2 selfreport.SS_EXTRA.ratio)")" = 0.5 ] || fail "SS_EXTRA.ratio = $(val 2 selfreport.SS_EXTRA.ratio)"
[ -z "$(val 2 selfreport.SS_EXTRA.note)" ] || fail "a non-numeric value (note=text) was stored"
[ -z "$(val 2 selfreport.SS_EXTRA.syscalls_total)" ] || fail "an unknown tag got a syscall total"
for id in 3 4 5; do
  [ -n "$(val $id selfreport.SS_OS_STATS.syscalls_total)" ] || fail "run $id: no syscalls_total"
done
[ "$(num "$(val 3 selfreport.SS_OS_STATS.syscalls_total)")" = 300.0 ] || fail "run 3 syscalls_total $(val 3 selfreport.SS_OS_STATS.syscalls_total)"
[ "$(num "$(val 4 selfreport.SS_OS_STATS.syscalls_total)")" = 30.0 ] || fail "run 4 syscalls_total $(val 4 selfreport.SS_OS_STATS.syscalls_total)"
[ "$(num "$(val 5 selfreport.SS_OS_STATS.syscalls_total)")" = 18.0 ] || fail "run 5: the line after 1 MiB of output was not parsed"

# ---- the measured side: start-up + the fixture's calls, exactly ----
soak report --db "$DB" --format json 1 2 3 4 5 > "$T/r.json"
soak report --db "$DB" 1 2 3 4 5 > "$T/r.md"
J() { json_get "$T/r.json" "$1"; }
rc() { J "j['runs'][$1]['syscalls']['by_name']['$2']['run_count']"; }
B=$(python3 -c "import sys; print(int(float(sys.argv[1]) + float(sys.argv[2])))" "$(rc 0 mmap)" "$(rc 0 madvise)")
strace -f -c -o "$T/strace.txt" -e trace=mmap,madvise "$FX" -m 0 -a 0 -t 0 > /dev/null 2>&1
S=$(awk '$NF == "mmap" || $NF == "madvise" { s += $4 } END { print s + 0 }' "$T/strace.txt")
[ "$B" = "$S" ] || fail "start-up mmap+madvise measured $B, strace -f -c says $S"
echo "start-up: $B mmap+madvise (strace agrees)"
[ "$B" -le 30 ] || fail "start-up of $B calls is too large for the agree case to be meaningful"
check_self() {   # run-index self measured disagree
  local i=$1 self=$2 meas=$3 dis=$4
  [ "$(J "j['runs'][$i]['syscalls']['self_reported'][0]['tag']")" = SS_OS_STATS ] || fail "run $((i+1)): no SS_OS_STATS self budget in the JSON"
  [ "$(J "int(j['runs'][$i]['syscalls']['self_reported'][0]['total'])")" = "$self" ] || fail "run $((i+1)): self total $(J "j['runs'][$i]['syscalls']['self_reported'][0]['total']"), want $self"
  [ "$(J "int(j['runs'][$i]['syscalls']['self_reported'][0]['measured'])")" = "$meas" ] || fail "run $((i+1)): measured $(J "j['runs'][$i]['syscalls']['self_reported'][0]['measured']"), want $meas"
  [ "$(J "j['runs'][$i]['syscalls']['self_reported'][0]['measured_set']")" = mmap+madvise ] || fail "run $((i+1)): measured set"
  [ "$(J "j['runs'][$i]['syscalls']['self_reported'][0]['disagree']")" = "$dis" ] || fail "run $((i+1)): disagree = $(J "j['runs'][$i]['syscalls']['self_reported'][0]['disagree']"), want $dis"
  # per op: an exec run has no operation count: null with the reason
  [ "$(J "j['runs'][$i]['syscalls']['self_reported'][0]['per_op']")" = None ] || fail "run $((i+1)): per_op not null"
  J "j['runs'][$i]['syscalls']['self_reported'][0]['per_op_unavailable']" | grep -q "operation count" || fail "run $((i+1)): per_op without a reason"
  local word=agree; [ "$dis" = True ] && word='**disagree**'
  grep -F "| system #$((i+1)) | [SS_OS_STATS] | $self | unavailable (" "$T/r.md" | grep -F "| $meas (mmap+madvise) |" | grep -qF "| $word" \
    || fail "Markdown self-report row of run $((i+1)) wrong: $(grep -F "system #$((i+1)) | [SS_OS_STATS]" "$T/r.md")"
}
rule() { python3 -c "import sys; s,m=map(float,sys.argv[1:]); print(abs(s-m) > 0.10*m + 2)" "$1" "$2"; }
check_self 1 18 $((18 + B)) "$(rule 18 $((18 + B)))"
check_self 2 300 $((300 + B)) False
check_self 3 30 $((300 + B)) True
check_self 4 18 "$B" "$(rule 18 "$B")"
echo "seed line: self 18 vs measured $((18 + B)) -> disagree=$(rule 18 $((18 + B))) (start-up calls are not the allocator's)"
# Markdown: the self-reported counters table lists every stored counter.
grep -qF '| system #2 | SS_OS_STATS.mmap_total | 9 |' "$T/r.md" || fail "counter table lacks SS_OS_STATS.mmap_total"
grep -qF '| system #2 | SS_OS_STATS.syscalls_total | 18 |' "$T/r.md" || fail "counter table lacks syscalls_total"
[ "$(J "j['runs'][1]['selfreport']['SS_EXTRA.ratio']")" = 0.5 ] || fail "JSON selfreport SS_EXTRA.ratio"
[ "$(J "j['runs'][1]['selfreport']['SS_OS_STATS.free']")" = 10 ] || fail "JSON selfreport SS_OS_STATS.free"
# (The Markdown counter table prints values with %.0f, so ratio=0.5 shows as
# "0" there: reported as a product bug, not asserted here.)

# ---- the output log: kept per stream, bounded ----
[ "$(q "select count(*) from logs where run_id=2 and stream in ('stdout','stderr')")" = 2 ] || fail "run 2: logs missing"
python3 - "$DB" <<'EOF' || fail "the logs of run 2 are not the fixture's stdout and stderr, byte for byte"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def log(stream):
    d, t = db.execute("select data, truncated from logs where run_id=2 and stream=?", (stream,)).fetchone()
    return bytes(d), t
out = (b"ssstats: starting\nssstats: calls made\nssstats: exiting\n"
       b"[SS_EXTRA] phase=2 ratio=0.5 note=text\n", 0)
err = (b"ssstats: working... \nssstats: done, stats follow: [SS_OS_STATS] alloc=9 free=10 madvise=9 "
       b"madvise_enomem=0 madvise_other=0 madvise_disabled=0 mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0", 0)
ok = True
for stream, want in (("stdout", out), ("stderr", err)):
    got = log(stream)
    if got != want:
        print(f"{stream}: got {got!r}\nwant {want!r}")
        ok = False
sys.exit(0 if ok else 1)
EOF
python3 - "$DB" <<'EOF' || fail "run 5: the stderr log is not bounded to its first 256 KiB with truncated=1"
import sqlite3, sys
d, t = sqlite3.connect(sys.argv[1]).execute("select data, truncated from logs where run_id=5 and stream='stderr'").fetchone()
d = bytes(d)
print(f"run 5 stderr log: {len(d)} bytes kept of {1048576 + 200}, truncated={t}")
sys.exit(0 if len(d) == 256 * 1024 and t == 1 and d.startswith(b"ssstats: working... \nxxxx") else 1)
EOF
[ "$(q "select truncated from logs where run_id=5 and stream='stdout'")" = 0 ] || fail "run 5: stdout marked truncated"
assert_no_cgroups
pass "[SS_OS_STATS] at exit parsed into counters (syscalls_total = mmap_total + madvise), self-reported beside measured in md/json, agree and disagree flagged, logs kept and bounded"
