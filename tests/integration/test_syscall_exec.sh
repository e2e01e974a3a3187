#!/usr/bin/env bash
# Syscall budget of external commands (-w exec), with sysfix, whose
# calls are known (tests/helpers/sysfix.c: N units in its main thread, 2N in
# a second thread, 3N in a forked child, plus libc start-up, pthread and fork):
#
# 1. `-w exec -- sysfix N` (one execution, no operation counter): the whole
#    run's count of every syscall equals `strace -f -c` of the same command
#    exactly, the madvise split equals sysfix's own report plus the start-up
#    (pthread's exit-time MADV_DONTNEED), and the report gives per second
#    (count / window) while per op and per step are unavailable with reasons.
# 2. `-w exec --repeat -- sysfix N` for a few seconds after a warm-up: the
#    report gives per second and per step, and the steady-state count of each
#    syscall equals strace's count for one step times the steps, within one
#    step (the step running at the warm-up boundary is counted as a step but
#    part of its calls fell before it; the step killed at the stop is not a
#    step but its calls are counted): |count - S * steps| <= S. The calls only
#    sysfix makes (mremap, mlock, munlock, madvise FREE/HUGEPAGE/WILLNEED) are
#    also checked over the whole run: between 6N * steps and 6N * (steps + 1).
#    The driver adds no calls of its own per step.
source "$(dirname "$0")/lib.sh"
FX=$SOAK_BUILD/tests/sysfix
[ -x "$FX" ] || fail "$FX not built"
command -v strace > /dev/null || fail "strace is needed (apt-get install strace)"
BASE="mmap munmap mremap madvise brk mprotect mlock munlock"
strace_calls() {   # N -> "name=calls ..." of strace -f -c sysfix N
  strace -f -c -o "$T/st$1.txt" -e trace="${BASE// /,}" "$FX" "$1" > /dev/null
  for sc in $BASE; do
    printf '%s=%s ' "$sc" "$(awk -v s="$sc" '$NF == s { c = $4 } END { print c + 0 }' "$T/st$1.txt")"
  done
}
get() { local kv; for kv in $1; do [ "${kv%=*}" = "$2" ] && { echo "${kv#*=}"; return; }; done; echo 0; }

# ---- 1. one execution ----
N1=3
S1=$(strace_calls $N1)
S0=$(strace_calls 0)
echo "strace -f -c sysfix $N1: $S1"
echo "strace -f -c sysfix 0:  $S0"
soak run --db "$DB" -w exec -d 20s -i 100ms --no-progress -q -- "$FX" $N1       # run 1
[ "$(q "select status from runs where id=1")" = ok ] || fail "run 1: $(q "select status||' '||coalesce(message,'') from runs where id=1")"
soak report --db "$DB" --format json 1 > "$T/r1.json"
soak report --db "$DB" 1 > "$T/r1.md"
J() { json_get "$T/r1.json" "j['runs'][0]['syscalls']$1"; }
for sc in $BASE; do
  want=$(get "$S1" $sc)
  got=$(J "['by_name']['$sc']['run_count']")
  [ "$(python3 -c "print(int(float('$got')))")" = "$want" ] || fail "exec sysfix $N1: $sc measured $got, strace -f -c $want"
  cnt=$(J "['by_name']['$sc']['count']")
  [ "$cnt" = "$got" ] || fail "exec without warm-up: steady-state $sc count $cnt != whole run $got"
  python3 -c "import sys; c,p,w=map(float,sys.argv[1:]); sys.exit(0 if w > 0 and abs(p - c / w) <= 1e-9 * max(1, p) else 1)" \
    "$cnt" "$(J "['by_name']['$sc']['per_s']")" "$(J "['window_s']")" || fail "$sc per_s is not count / window_s"
  [ "$(J "['by_name']['$sc']['per_op']")" = None ] || fail "$sc per_op of a run without ops is not null"
  J "['by_name']['$sc']['per_op_unavailable']" | grep -q 'no operation count' || fail "$sc per_op without its reason"
  # A single exec is one step (docs/metrics.md): per step = the count.
  [ "$(J "['by_name']['$sc']['per_step']")" = "$cnt" ] || fail "$sc per_step of a single exec (one step) is $(J "['by_name']['$sc']['per_step']"), not its count $cnt"
done
# madvise by advice: sysfix's own counts (6N units, 2 of the 6 advices
# in "other") + start-up (the baseline's madvise calls are pthread's DONTNEED).
u=$((6 * N1)); b=$(get "$S0" madvise)
for kv in dontneed=$((u + b)) free=$u hugepage=$u willneed=$u other=$((2 * u)); do
  got=$(J "['by_name']['madvise_${kv%=*}']['run_count']")
  [ "$(python3 -c "print(int(float('$got')))")" = "${kv#*=}" ] || fail "madvise_${kv%=*}: $got, expected ${kv#*=}"
done
grep -q '^| mmap | [0-9]* | unavailable (no operation count' "$T/r1.md" || fail "Markdown: mmap row of an exec run: $(grep '^| mmap |' "$T/r1.md")"
grep -q '^| system #1 | unavailable (.*) | [0-9]* | unavailable (no operation count.*) | [0-9.]* |' "$T/r1.md" \
  || fail "Markdown budget row of an exec run does not give per second: $(grep '^| system #1 |' "$T/r1.md" | sed -n '/Syscalls/,$p' | head -3)"
echo "run 1: every syscall = strace -f -c; per second given, per op/step unavailable"

# ---- 2. exec --repeat ----
N2=2
S2=$(strace_calls $N2)
echo "strace -f -c sysfix $N2 (one step): $S2"
soak run --db "$DB" -w exec --repeat -d 4s --warmup 1s -i 250ms --no-progress -q -- "$FX" $N2   # run 2
[ "$(q "select status from runs where id=2")" = ok ] || fail "run 2: $(q "select status||' '||coalesce(message,'') from runs where id=2")"
soak report --db "$DB" --format json 2 > "$T/r2.json"
soak report --db "$DB" 2 > "$T/r2.md"
J() { json_get "$T/r2.json" "j['runs'][0]$1"; }
steps=$(J "['steps']['count']")
[ "$(J "['steps']['failed']")" = 0 ] || fail "failed steps"
[ "$steps" -ge 50 ] || fail "only $steps steps in the steady state"
all_steps=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=2 and m.name='step_exit_code'")
window=$(J "['syscalls']['window_s']")
tot=0
for sc in $BASE; do
  S=$(get "$S2" $sc); tot=$((tot + S))
  cnt=$(J "['syscalls']['by_name']['$sc']['count']")
  ps=$(J "['syscalls']['by_name']['$sc']['per_step']")
  pers=$(J "['syscalls']['by_name']['$sc']['per_s']")
  python3 - "$cnt" "$ps" "$pers" "$S" "$steps" "$window" "$sc" <<'EOF' || fail "exec --repeat: $sc off (see above)"
import sys
cnt, ps, pers, S, steps, window = map(float, sys.argv[1:7])
d = cnt - S * steps
print(f"{sys.argv[7]:9s} steady count {cnt:7.0f} = {steps:.0f} steps x {S:.0f} {d:+.0f}; "
      f"per step {ps:.3f}, per second {pers:.1f}")
ok = abs(d) <= S and abs(ps - cnt / steps) <= 1e-9 * max(ps, 1) and abs(pers - cnt / window) <= 1e-9 * max(pers, 1)
sys.exit(0 if ok else 1)
EOF
done
ts=$(J "['syscalls']['total_per_step']")
python3 -c "import sys; t,s,n=map(float,sys.argv[1:]); sys.exit(0 if abs(t - s) <= s / n else 1)" "$ts" "$tot" "$steps" \
  || fail "total per step $ts, strace says $tot per step"
# Calls only sysfix makes, whole run: 6N per completed step, plus at most one
# step killed at the stop.
for sc in mremap mlock munlock madvise_free madvise_hugepage madvise_willneed; do
  rcnt=$(J "['syscalls']['by_name']['$sc']['run_count']")
  python3 -c "import sys; c,u,n=map(float,sys.argv[1:]); sys.exit(0 if u * n <= c <= u * (n + 1) else 1)" "$rcnt" $((6 * N2)) "$all_steps" \
    || fail "whole run $sc = $rcnt, outside [$((6 * N2)) x $all_steps, $((6 * N2)) x $((all_steps + 1))]"
done
# Markdown: the per-syscall table has the per-step column.
grep -q '^| Metric | Count | Per-op rate | Per second | Per step | Status |' "$T/r2.md" || fail "Markdown lacks the per-step column"
# The Markdown total row shows the same per-step total (within one step).
row=$(grep '^| Total (8 base syscalls) |' "$T/r2.md")
mdps=$(printf '%s\n' "$row" | awk -F'|' '{gsub(/ /, "", $6); print $6}')
python3 -c "import sys; t,s,n=map(float,sys.argv[1:]); sys.exit(0 if abs(t - s) <= s / n else 1)" "$mdps" "$tot" "$steps" \
  || fail "Markdown total row: $row (per step '$mdps', strace $tot)"
# A step is not an operation (the driver counts steps in ops_total): no per-op
# rate and no grade; the summary table has a per-step column instead.
[ "$(J "['syscalls']['total_per_op']")" = None ] || fail "--repeat: total per op $(J "['syscalls']['total_per_op']") (steps taken for operations)"
J "['syscalls']['total_per_op_unavailable']" | grep -q 'no operation count' || fail "--repeat: total_per_op without its reason"
[ "$(J "['syscalls']['grade']")" = None ] || fail "--repeat: graded $(J "['syscalls']['grade']") against the per-op thresholds"
[ "$(J "['syscalls']['by_name']['mmap']['per_op']")" = None ] || fail "--repeat: mmap per op is not null"
grep -q '^| Allocator | Ops | Syscalls | Per-op rate | Per step | Per second | Grade | Status |' "$T/r2.md" \
  || fail "Markdown summary lacks the per-step column"
# The steps' own self-reports ([SYSFIX] line, parsed per step by the driver):
# each completed step printed 6N; the whole run is their sum (docs/metrics.md).
v() { q "select cast(value as int) from run_values where run_id=2 and name='$1'"; }
[ "$(v selfreport_steps.SYSFIX.mremap)" = "$all_steps" ] || fail "[SYSFIX] printed by $(v selfreport_steps.SYSFIX.mremap) steps, $all_steps completed"
[ "$(v selfreport_step_min.SYSFIX.mremap)" = $((6 * N2)) ] && [ "$(v selfreport_step_max.SYSFIX.mremap)" = $((6 * N2)) ] \
  || fail "[SYSFIX] per step mremap $(v selfreport_step_min.SYSFIX.mremap)..$(v selfreport_step_max.SYSFIX.mremap), each step printed $((6 * N2))"
[ "$(v selfreport.SYSFIX.mremap)" = $((6 * N2 * all_steps)) ] || fail "[SYSFIX] whole run mremap $(v selfreport.SYSFIX.mremap), expected $((6 * N2)) x $all_steps steps"
assert_no_cgroups
pass "exec: counts = strace -f -c (one run exactly; --repeat: per step within one step over $steps steps), per second and per step reported"
