#!/usr/bin/env bash
# Unavailable is not zero: when syscalls cannot be counted, every
# sc_* metric of the run has a reason in run_metrics, no sample holds a value
# (no row, or NULL: never 0), `soakctl report` says "unavailable (reason)" in
# Markdown, null + "<name>_unavailable" in JSON, an empty cell in CSV, and a
# self-reported budget is not compared with a missing measurement.
#
# 1. Forced: SOAK_PERF_DISABLE=1 in soakctl's environment (as root, cgroups).
# 2. Really unprivileged: soakctl run as nobody (setpriv), --no-cgroup, with
#    the database in a directory nobody can write. On this host tracefs is
#    mode 0700 and perf_event_paranoid is 2, so the tracepoint ids cannot be
#    read: the reason is "tracefs ...: EACCES ...". Where tracefs is readable
#    by everyone the syscall events may count as nobody (exclude_kernel, the
#    worker is nobody's own process); then the test checks the only thing
#    that must hold everywhere: each sc_* metric is either measured (values,
#    no reason) or unavailable (reason, no value), never both, never neither.
source "$(dirname "$0")/lib.sh"
SC="'sc_mmap','sc_munmap','sc_mremap','sc_madvise','sc_brk','sc_mprotect','sc_mlock','sc_munlock','sc_madvise_dontneed','sc_madvise_free','sc_madvise_hugepage','sc_madvise_willneed','sc_madvise_other'"
reasons() { q "select count(*) from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=$1 and m.name in ($SC) and r.reason like '%$2%'"; }
values() { q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=$1 and m.name in ($SC) and s.value is not null"; }

# ---- 1. forced unavailable ----
SOAK_PERF_DISABLE=1 soak run --db "$DB" -w tiny_hot -d 2s -i 250ms --no-progress -q          # run 1
SOAK_PERF_DISABLE=1 soak run --db "$DB" -w exec -d 10s -i 100ms --no-progress -q -- \
  "$SOAK_BUILD/tests/ssstats" -m 9 -a 9 -r seed                                             # run 2
for id in 1 2; do
  [ "$(q "select status from runs where id=$id")" = ok ] || fail "run $id: $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
  [ "$(reasons $id 'disabled by SOAK_PERF_DISABLE')" = 13 ] || fail "run $id: not every sc_* metric has the reason: $(q "select group_concat(m.name||'='||r.reason) from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=$id")"
  [ "$(values $id)" = 0 ] || fail "run $id: sc_* samples hold values although the probe was disabled"
  for m in pf_minor pf_major ctx_switches; do
    [ -n "$(q "select reason from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=$id and m.name='$m'")" ] || fail "run $id: $m has no reason"
  done
done
soak report --db "$DB" 1 2 > "$T/r.md"
soak report --db "$DB" --format json 1 2 > "$T/r.json"
soak report --db "$DB" --format csv 1 2 > "$T/r.csv"
J() { json_get "$T/r.json" "$1"; }
grep -qF '| system #1 |' "$T/r.md" || fail "no row for run 1"
grep -F '| system #1 |' "$T/r.md" | grep -qF '| unavailable (mmap: disabled by SOAK_PERF_DISABLE) |' || fail "budget row does not say unavailable (reason): $(grep -F '| system #1 |' "$T/r.md" | head -1)"
grep -qF '| mmap | unavailable (disabled by SOAK_PERF_DISABLE) |' "$T/r.md" || fail "per-syscall table does not say unavailable (reason)"
grep -qF '| Total (8 base syscalls) | unavailable (mmap: disabled by SOAK_PERF_DISABLE) |' "$T/r.md" || fail "total row not unavailable"
for i in 0 1; do
  for k in total total_per_op total_per_s grade; do
    [ "$(J "j['runs'][$i]['syscalls']['$k']")" = None ] || fail "JSON run $((i+1)) syscalls.$k is not null"
    J "j['runs'][$i]['syscalls']['${k}_unavailable']" | grep -q 'disabled by SOAK_PERF_DISABLE' || fail "JSON run $((i+1)) syscalls.${k}_unavailable lacks the reason"
  done
  for sc in mmap munmap madvise brk madvise_other; do
    for k in count per_s run_count; do
      [ "$(J "j['runs'][$i]['syscalls']['by_name']['$sc']['$k']")" = None ] || fail "JSON run $((i+1)) $sc.$k is not null"
      J "j['runs'][$i]['syscalls']['by_name']['$sc']['${k}_unavailable']" | grep -q 'disabled by SOAK_PERF_DISABLE' || fail "JSON run $((i+1)) $sc.${k}_unavailable"
    done
  done
done
[ "$(J "j['runs'][0]['page_faults']['source']")" = proc ] || fail "page faults did not fall back to /proc"
python3 - "$T/r.csv" <<'EOF' || fail "CSV: syscall cells of a disabled probe are not empty"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = [c for c in rows[0] if c.startswith("sc_")]
assert len(cols) >= 13 * 3, cols
sys.exit(0 if all(r[c] == "" for r in rows for c in cols) else 1)
EOF
# The allocator's own count is still shown, but not judged against nothing.
[ "$(J "j['runs'][1]['syscalls']['self_reported'][0]['total']")" = 18 ] || fail "self-reported total lost when perf is disabled"
[ "$(J "j['runs'][1]['syscalls']['self_reported'][0]['measured']")" = None ] || fail "measured side not null"
J "j['runs'][1]['syscalls']['self_reported'][0]['measured_unavailable']" | grep -q 'disabled by SOAK_PERF_DISABLE' || fail "measured side without the reason"
[ "$(J "j['runs'][1]['syscalls']['self_reported'][0]['disagree']")" = None ] || fail "disagree is not null without a measurement"
grep -F '| system #2 | [SS_OS_STATS] | 18 |' "$T/r.md" | grep -F 'unavailable (mmap: disabled by SOAK_PERF_DISABLE)' | grep -qF '| n/a |' \
  || fail "Markdown self-report row without measurement: $(grep -F '[SS_OS_STATS]' "$T/r.md")"
assert_no_cgroups
pass "SOAK_PERF_DISABLE=1: reasons recorded, no values, md/json/csv say unavailable"

# ---- 2. unprivileged ----
command -v setpriv > /dev/null || { echo "no setpriv: unprivileged part skipped"; exit 0; }
NB=$T/nobody
mkdir "$NB" && chmod 711 "$T" && chmod 1777 "$NB"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! asnobody test -x "$SOAKCTL"; then
  echo "nobody cannot execute $SOAKCTL (build directory not world-readable): unprivileged part skipped"
  exit 0
fi
( cd "$NB" && asnobody env HOME="$NB" "$SOAKCTL" run --db "$NB/n.db" -w tiny_hot -d 2s -i 250ms --no-cgroup --no-progress -q )
DB=$NB/n.db
[ "$(q "select status from runs where id=1")" = ok ] || fail "nobody's run: $(q "select status||' '||coalesce(message,'') from runs where id=1")"
[ "$(q "select cgroup_mode from runs where id=1")" = none ] || fail "nobody's run had cgroups"
if asnobody test -r /sys/kernel/tracing/events/syscalls/sys_enter_mmap/id 2> /dev/null ||
   asnobody test -r /sys/kernel/debug/tracing/events/syscalls/sys_enter_mmap/id 2> /dev/null; then
  echo "tracefs is readable by nobody here: checking measured xor unavailable only"
  for m in sc_mmap sc_munmap sc_mremap sc_madvise sc_brk sc_mprotect sc_mlock sc_munlock; do
    r=$(q "select count(*) from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1 and m.name='$m'")
    v=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='$m' and s.value is not null")
    { [ "$r" = 1 ] && [ "$v" = 0 ]; } || { [ "$r" = 0 ] && [ "$v" -gt 0 ]; } || fail "as nobody $m: $r reasons, $v values"
  done
else
  [ "$(reasons 1 'EACCES')" = 13 ] || fail "as nobody: not every sc_* metric has an EACCES reason: $(q "select group_concat(m.name||'='||r.reason, '; ') from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1")"
  [ "$(values 1)" = 0 ] || fail "as nobody: sc_* samples hold values"
  why=$(q "select reason from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1 and m.name='sc_mmap'")
  echo "as nobody: sc_mmap unavailable: $why"
  soak report --db "$DB" > "$T/n.md"
  soak report --db "$DB" --format json > "$T/n.json"
  grep -qF "| mmap | unavailable ($why) |" "$T/n.md" || fail "nobody's report does not say unavailable ($why)"
  [ "$(json_get "$T/n.json" "j['runs'][0]['syscalls']['total_per_op']")" = None ] || fail "nobody's JSON budget is not null"
  json_get "$T/n.json" "j['runs'][0]['syscalls']['total_per_op_unavailable']" | grep -qF "$why" || fail "nobody's JSON budget has no reason"
fi
# Software events: the probe retries them user-only (exclude_kernel); page
# faults of the worker's own accesses then still count. (ctx_switches is
# printed, not asserted: with exclude_kernel a context switch, which is
# always taken in kernel mode, is never counted, so it reads 0 as nobody even
# for a worker that sleeps: a measured-looking 0, reported as a probe bug.)
pf=$(q "select max(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='pf_minor'")
pfr=$(q "select reason from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1 and m.name='pf_minor'")
{ [ -n "$pf" ] && [ -z "$pfr" ]; } || { [ -z "$pf" ] && [ -n "$pfr" ]; } || fail "as nobody pf_minor: value '$pf' reason '$pfr'"
echo "as nobody: pf_minor ${pf:-unavailable ($pfr)}, ctx_switches $(q "select max(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='ctx_switches'")"
pass "as nobody: syscall counts unavailable with the reason, never 0"
