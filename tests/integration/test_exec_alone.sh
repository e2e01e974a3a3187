#!/usr/bin/env bash
# exec --repeat measures the command alone, not the driver that repeats it.
# Ground truth: the same command run alone under the same test allocator
# (libmmapk.so, which prints "[MMAPK] every=K allocs=N pairs=P" at exit), step
# by step.
#  - the driver gets no allocator: `--repeat -- /bin/true` reports the steps'
#    [MMAPK] lines (allocs=0 alone), never the driver's own;
#  - self-reports per step equal the command's alone, the whole run is their
#    sum over the steps that printed them;
#  - page faults per step equal the command's alone (no driver faults);
#  - RSS samples and step peaks are the command's (no driver megabytes), and
#    the RSS drift is not invented by sampling two processes;
#  - `env -u LD_PRELOAD cmd` (the command drops the allocator) is an
#    allocator mismatch, not ok.
source "$(dirname "$0")/lib.sh"
cd "$T"
H=$SOAK_BUILD/tests
LIB=$H/libmmapk.so
HOLD=$H/hold
[ -f "$LIB" ] && [ -x "$HOLD" ] || fail "test helpers not built ($LIB, $HOLD)"
export SOAK_TEST_MMAP_EVERY=1
run_id() { q "select max(id) from runs"; }
val() { q "select value from run_values where run_id=$1 and name='$2'"; }
series() { q "select $3 from samples s join metrics m on m.id=s.metric_id where s.run_id=$1 and m.name='$2'"; }
# alone_line CMD...: the [MMAPK] line the command prints alone under the library.
alone_line() { LD_PRELOAD=$LIB "$@" 2>&1 >/dev/null | grep -o '\[MMAPK\].*'; }
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- 1. /bin/true: nothing from the driver ----
line=$(alone_line /bin/true)
a_allocs=$(kv "$line" allocs)
[ -n "$a_allocs" ] || fail "/bin/true alone under libmmapk printed no [MMAPK] line: '$line'"
soak run --db "$DB" -w exec -a "$LIB" --repeat -d 2s -i 100ms --no-progress -q -- /bin/true || fail "run exited $?"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = ok ] || fail "true: status $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
[ "$(q "select allocator_observed from runs where id=$id")" = "$(readlink -f "$LIB")" ] \
  || fail "true: observed '$(q "select allocator_observed from runs where id=$id")'"
steps=$(series "$id" step_exit_code "count(*)")
[ "$steps" -ge 20 ] || fail "true: only $steps steps in 2 s"
printed=$(val "$id" selfreport_steps.MMAPK.allocs | cut -d. -f1)
[ "$printed" = "$steps" ] || fail "true: [MMAPK] from $printed steps, $steps steps ran"
whole=$(val "$id" selfreport.MMAPK.allocs)
[ "$whole" = "$((a_allocs * steps)).0" ] \
  || fail "true: whole-run allocs $whole; /bin/true alone prints allocs=$a_allocs, x $steps steps (the driver's own count leaked in?)"
[ "$(val "$id" selfreport_step_max.MMAPK.allocs)" = "$a_allocs.0" ] || fail "true: per-step allocs max $(val "$id" selfreport_step_max.MMAPK.allocs), alone $a_allocs"
# Faults: the last valid minflt sample holds the faults of the steps reaped
# by then plus part of the live one; each step makes what /bin/true makes
# alone (measured alone with vfork+exec like the driver, 5 times).
read -r fmin fmax < <(python3 - "$LIB" <<'EOF'
import os, resource, subprocess, sys
env = dict(os.environ, LD_PRELOAD=sys.argv[1])
f = []
for _ in range(5):
    b = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    subprocess.run(["/bin/true"], env=env, stderr=subprocess.DEVNULL)
    f.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - b)
print(min(f), max(f))
EOF
)
read -r tlast flast < <(q "select s.t, s.value from samples s join metrics m on m.id=s.metric_id where s.run_id=$id and m.name='minflt' and s.value is not null order by s.t desc limit 1" | tr '|' ' ')
done_steps=$(series "$id" step_exit_code "sum(t <= $tlast)")
python3 - "$flast" "$done_steps" "$fmin" "$fmax" <<'EOF' || fail "true: minflt $flast after $done_steps steps; alone /bin/true makes $fmin..$fmax faults"
import sys
f, n, lo, hi = map(float, sys.argv[1:])
print(f"true: {f:.0f} faults after {n:.0f} steps = {f / n:.1f} per step; alone {lo:.0f}..{hi:.0f}")
sys.exit(0 if 0.9 * lo * n <= f <= 1.1 * hi * (n + 1) else 1)
EOF
pass "exec --repeat /bin/true: $steps steps, [MMAPK] allocs=$a_allocs per step as alone, whole run $whole; faults as alone"

# ---- 2. hold 8 MiB: counters, RSS, step peaks ----
line=$(alone_line "$HOLD" 8 0.01)
a_allocs=$(kv "$line" allocs); a_pairs=$(kv "$line" pairs)
[ "${a_allocs:-0}" -ge 1 ] || fail "hold alone printed '$line'"
LD_PRELOAD=$LIB "$HOLD" 8 0.6 >/dev/null 2>&1 &
hp=$!
sleep 0.3
a_rss=$(awk '/^VmRSS:/ {print $2 * 1024}' /proc/$hp/status)
a_hwm=$(awk '/^VmHWM:/ {print $2 * 1024}' /proc/$hp/status)
wait $hp
soak run --db "$DB" -w exec -a "$LIB" --repeat -d 4s -i 50ms --warmup 0s --no-progress -q -- "$HOLD" 8 0.25 || fail "hold run exited $?"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = ok ] || fail "hold: status $(q "select status||' '||coalesce(message,'') from runs where id=$id")"
steps=$(series "$id" step_exit_code "count(*)")
[ "$steps" -ge 5 ] || fail "hold: only $steps steps"
for k in allocs pairs; do
  want=$([ $k = allocs ] && echo "$a_allocs" || echo "$a_pairs")
  [ "$(val "$id" selfreport_step_min.MMAPK.$k)" = "$want.0" ] && [ "$(val "$id" selfreport_step_max.MMAPK.$k)" = "$want.0" ] \
    || fail "hold: per-step $k $(val "$id" selfreport_step_min.MMAPK.$k)..$(val "$id" selfreport_step_max.MMAPK.$k), alone $want"
  [ "$(val "$id" selfreport.MMAPK.$k)" = "$((want * steps)).0" ] || fail "hold: whole-run $k $(val "$id" selfreport.MMAPK.$k), alone $want x $steps steps"
done
rmax=$(series "$id" rss_bytes "max(value)")
pmin=$(series "$id" step_peak_rss_bytes "min(value)"); pmax=$(series "$id" step_peak_rss_bytes "max(value)")
[ "$(series "$id" step_peak_rss_bytes "count(value)")" = "$steps" ] || fail "hold: $(series "$id" step_peak_rss_bytes "count(value)") step peaks for $steps steps"
# The same binary, library and arguments: the same pages, up to the stack
# and environment and the loader's fault-around of shared libraries, which
# varies by a few dozen pages between runs: 384 KiB. The driver alone is ~2 MiB.
python3 - "$rmax" "$pmin" "$pmax" "$a_rss" "$a_hwm" <<'EOF' || fail "hold: RSS is not the command's alone (see above)"
import sys
rmax, pmin, pmax, rss, hwm = map(float, sys.argv[1:])
tol = 384 * 1024
print(f"hold: max sampled RSS {rmax / 2**20:.3f} MiB, step peaks {pmin / 2**20:.3f}..{pmax / 2**20:.3f} MiB; "
      f"alone VmRSS {rss / 2**20:.3f}, VmHWM {hwm / 2**20:.3f} MiB")
sys.exit(0 if abs(rmax - rss) <= tol and abs(pmin - hwm) <= tol and abs(pmax - hwm) <= tol else 1)
EOF
soak report --db "$DB" --format json "$id" > "$T/r.json" || fail "report exited $?"
read -r src drift < <(json_get "$T/r.json" '"%s %s" % (j["runs"][0]["rss"]["series_source"], j["runs"][0]["rss"]["drift_pct"])')
[ "$src" = step_peak_rss_bytes ] || fail "hold: RSS series from $src, expected the steps' own peaks"
python3 -c "import sys; d=sys.argv[1]; sys.exit(0 if d != 'None' and abs(float(d)) < 2 else 1)" "$drift" \
  || fail "hold: RSS drift $drift% for identical steps"
soak report --db "$DB" "$id" > "$T/r.md"
grep -q '^## Steps' "$T/r.md" || fail "hold: no Steps section"
grep -q '^## Latency per operation' "$T/r.md" && fail "hold: an exec run shows per-operation latency"
grep -q "| MMAPK.allocs | $((a_allocs * steps)) (sum over steps) | $a_allocs | $steps |" "$T/r.md" || fail "hold: Markdown counter row: $(grep 'MMAPK.allocs' "$T/r.md")"
pass "exec --repeat hold 8: $steps steps, counters as alone per step, RSS as alone, drift $drift%"

# ---- 3. the command drops the allocator ----
rc=0
soak run --db "$DB" -w exec -a "$LIB" --repeat -d 3s -i 100ms --no-progress -q -- /usr/bin/env -u LD_PRELOAD "$HOLD" 8 0.3 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "env -u LD_PRELOAD: soakctl run exited 0"
id=$(run_id)
[ "$(q "select status from runs where id=$id")" = allocator-mismatch ] \
  || fail "env -u LD_PRELOAD: status $(q "select status||' '||coalesce(allocator_observed,'') from runs where id=$id")"
pass "env -u LD_PRELOAD: allocator-mismatch ($(q "select message from runs where id=$id" | cut -c1-80)...)"
assert_no_cgroups
