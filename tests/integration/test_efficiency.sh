#!/usr/bin/env bash
# Memory efficiency against planted ground truth (docs/metrics.md, "Memory
# efficiency"):
# - leak at 4 MiB/s: live bytes grow at the planted rate, RSS follows them
#   (RSS per live byte near 1 at the end), and the gate's rss_drift says the
#   workload holds more while overhead_drift passes;
# - fragment that frees half its small blocks and then idles: live bytes
#   halve while RSS stays, so RSS per live byte rises; the report's overhead
#   equals mean RSS / mean live bytes of the run's own samples.
# The commands are docs/efficiency.md's example, run as written there.
source "$(dirname "$0")/lib.sh"
doc_example docs/efficiency.md test_efficiency > "$T/example.sh" || fail "no test_efficiency example in docs/efficiency.md"
(cd "$T" && bash "$T/example.sh") > "$T/example.out" 2>&1 || true
DB=$T/eff.db
[ "$(q 'select count(*) from runs where status = "ok"')" = 2 ] || { cat "$T/example.out"; fail "the example did not record two ok runs"; }
grep -q "## Memory efficiency" "$T/example.out" || fail "the example's report has no Memory efficiency section"
soak report --db "$DB" --format json 1 > "$T/leak.json"
python3 - "$T/leak.json" <<'PY' || fail "leak: efficiency figures"
import json, sys
e = json.load(open(sys.argv[1]))["runs"][0]["efficiency"]
slope = e["live_slope_bytes_per_s"]
assert abs(slope - 4 * 1048576) <= 0.03 * 4 * 1048576, f"live slope {slope} B/s, planted 4 MiB/s"
assert e["rss_growth_is"] == "workload_holds_more", e["explain"]
assert e["live_share_of_rss_growth_pct"] >= 90, e["explain"]
assert 1.0 <= e["overhead_last_k_mean"] <= 1.2, f"RSS per live byte at the end {e['overhead_last_k_mean']}"
print("leak:", e["explain"])
PY
grep -q "FAIL  system-1 rss_drift: .*the workload holds more" "$T/example.out" || { cat "$T/example.out"; fail "rss_drift does not say the workload holds more"; }
grep -q "PASS  system-1 overhead_drift:" "$T/example.out" || { cat "$T/example.out"; fail "overhead_drift did not pass for a leak"; }

# The fragment run: 64 MiB of 16..256-byte blocks, half of them freed at
# random, then idle; the grow and free phases end well inside the 3 s warm-up.
soak report --db "$DB" --format json 2 > "$T/frag.json"
q "select l.t, l.value, r.value from samples_named l join samples_named r on r.run_id = l.run_id and r.t = l.t and r.metric = 'rss_bytes' where l.run_id = 2 and l.metric = 'bytes_live' and l.value is not null and r.value is not null order by l.t" > "$T/frag.samples"
stop=$(q "select coalesce(min(t), 1e9) from events where run_id = 2 and kind = 'stop_requested'")
python3 - "$T/frag.json" "$T/frag.samples" "$stop" <<'PY' || fail "fragment: efficiency figures"
import json, sys
e = json.load(open(sys.argv[1]))["runs"][0]["efficiency"]
rows = [tuple(map(float, l.split("|"))) for l in open(sys.argv[2]) if l.strip()]
# the steady state: after the 3 s warm-up, up to the stop request
steady = [(l, r) for t, l, r in rows if 3 <= t <= float(sys.argv[3])]
live = sum(l for l, _ in steady) / len(steady)
rss = sum(r for _, r in steady) / len(steady)
# the workload's own count: half the blocks freed, so about half the bytes
assert 0.45 * 64 * 1048576 <= live <= 0.55 * 64 * 1048576, f"live after the free phase {live}"
assert abs(e["live_mean_bytes"] - live) <= 1e-6 * live + 1, (e["live_mean_bytes"], live)
assert abs(e["overhead_mean"] - rss / live) <= 0.005 * rss / live, (e["overhead_mean"], rss / live)
# Live bytes halved while RSS stayed: at the end of the grow phase the
# workload held the planted 64 MiB, with the run's peak RSS (its cgroup's or
# VmHWM high-water mark, which catches the peak between samples); after the
# free phase RSS stays within 10% of that peak, so RSS per live byte is at
# least 1.8 times what it was at the peak.
run = json.load(open(sys.argv[1]))["runs"][0]
peak_rss, planted = run["rss"]["peak_bytes"], 64 * 1048576
assert rss >= 0.9 * peak_rss, f"RSS fell after the free phase: {rss} of peak {peak_rss}"
assert e["overhead_mean"] >= 1.8 * peak_rss / planted, (e["overhead_mean"], peak_rss / planted)
print(f"fragment: live {planted / 1048576:.1f} -> {live / 1048576:.1f} MiB, RSS {peak_rss / 1048576:.1f} -> "
      f"{rss / 1048576:.1f} MiB, RSS per live byte {peak_rss / planted:.2f} -> {rss / live:.2f}")
PY
pass "efficiency figures match the planted leak and fragmentation"
