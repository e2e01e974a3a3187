#!/usr/bin/env bash
# The runner's account of its own cost (docs/performance.md), against what
# the database holds, so the figures the suite reports about itself are true:
#   - every sample it says it took is one stored row (runner.samples);
#   - a probe's slow reads (runner.probe_slow_reads.<probe>) are exactly the
#     rows where that probe's slow metrics are set: perf's sc_* counters at
#     most once a second (plus the first and final samples), the cgroup's
#     OOM count at most every 100 ms; NULL in the rows between;
#   - the per-probe CPU figures (sample() timed on a random eighth of the
#     ticks and scaled, every sample_slow() timed) add up to the probes' total
#     (the same timed ticks, whole, scaled the same way, plus every slow read:
#     it also holds the loop's own work between probes): within 35%; and the
#     probes and flushes together are less than the runner's CPU (getrusage).
source "$(dirname "$0")/lib.sh"
cd "$T"
soak run --db "$DB" -w random_mixed -d 4s -i 10ms --no-progress -q || fail "run exited $?"
v() { q "select value from run_values where run_id=1 and name='$1'"; }
rows() { q "select count(*) from samples_named where run_id=1 and metric='$1' and value is not null"; }
taken=$(v runner.samples) all=$(q "select count(*) from sample_rows where run_id=1")
[ "${taken%.0}" = "$all" ] || fail "runner.samples $taken, but $all rows stored"
[ "$all" -ge 250 ] || fail "only $all samples in 4 s at 10 ms"

check_slow() { # PROBE METRIC MIN_GAP_S [GONE_METRIC]
  local reads n
  reads=$(v "runner.probe_slow_reads.$1")
  [ -n "$reads" ] || { echo "skip $1: no slow reads recorded (probe unavailable here)"; return 0; }
  n=$(rows "$2")
  # GONE_METRIC: the final, forced read comes after the worker was reaped when
  # the last row has no GONE_METRIC (the process is gone): it measures nothing.
  if [ -n "${4:-}" ] && [ "$(q "select count(*) from samples_named where run_id=1 and metric='$4' and value is not null and t = (select max(t) from sample_rows where run_id=1)")" = 0 ]; then
    reads=$(( ${reads%.0} - 1 ))
  fi
  [ "${reads%.0}" = "$n" ] || fail "$1: $reads slow reads, but $n rows with $2"
  # The gaps between reads: at least the cadence less half an interval (the
  # final, forced read may come sooner).
  python3 - "$DB" "$2" "$3" <<'PY' || fail "$1: slow reads closer than the cadence"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
ts = [t for (t,) in c.execute("select t from samples_named where run_id=1 and metric=? and value is not null order by t", (sys.argv[2],))]
gaps = [b - a for a, b in zip(ts, ts[1:])][:-1]
assert gaps and min(gaps) >= float(sys.argv[3]) - 0.005, gaps
print(f"{sys.argv[2]}: {len(ts)} values, gaps {min(gaps):.3f} .. {max(gaps):.3f} s")
PY
  [ "$n" -lt "$all" ] || fail "$1: $2 set in every row ($n)"
  pass "$1: $reads slow reads = rows with $2, of $all"
}
check_slow perf sc_mmap 1.0
check_slow cgroup cg_oom_kill 0.1
# One slow read of a probe fills all its slow metrics in that row: the cgroup's
# peak and swap, the proc probe's VmSwap (status, while statm is read every tick).
[ "$(rows cg_mem_peak_bytes)" = "$(rows cg_oom_kill)" ] || fail "cg_mem_peak_bytes in $(rows cg_mem_peak_bytes) rows, cg_oom_kill in $(rows cg_oom_kill)"
check_slow proc swap_bytes 0.1 rss_bytes
check_slow cpu cpu_user_s 0.1
# statm every tick: rss_bytes in every row but perhaps the final one (after the reap).
[ "$(rows rss_bytes)" -ge $((all - 1)) ] || fail "rss_bytes in $(rows rss_bytes) of $all rows: it is read every tick"
[ "$(rows cg_mem_usage_bytes)" = "$all" ] || fail "cg_mem_usage_bytes in $(rows cg_mem_usage_bytes) of $all rows"

python3 - "$DB" <<'PY' || fail "per-probe CPU does not add up to the probes' total"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
v = dict(c.execute("select name, value from run_values where run_id=1"))
parts = {k.rsplit(".", 1)[1]: x for k, x in v.items() if k.startswith("runner.probe_cpu_s.")}
total = v["runner.probe_cpu_s"]
print("probes' total %.1f ms; per probe %s; sum %.1f ms" % (total * 1e3, {k: round(x * 1e3, 1) for k, x in parts.items()}, sum(parts.values()) * 1e3))
assert {"ops", "proc", "cgroup"} <= parts.keys(), parts
assert abs(sum(parts.values()) - total) <= 0.35 * total, (sum(parts.values()), total)
assert total + v["runner.store_cpu_s"] <= v["runner.cpu_s"], (total, v["runner.store_cpu_s"], v["runner.cpu_s"])
PY
pass "per-probe CPU adds up to the probes' total"
assert_no_cgroups
