#!/usr/bin/env bash
# Memory efficiency against planted ground truth (docs/metrics.md, "Memory
# efficiency"):
# - leak at 4 MiB/s: live bytes grow at the planted rate, RSS follows them
#   (RSS per live byte near 1 at the end), and the gate's rss_drift says the
#   workload holds more while overhead_drift passes;
# - fragment that frees half its small blocks and then idles: live bytes
#   halve while RSS stays, so RSS per live byte rises; the report's overhead
#   equals mean RSS / mean live bytes of the run's own samples.
source "$(dirname "$0")/lib.sh"

soak run --db "$DB" -w leak -d 8s -i 250ms --warmup 1s --no-progress -q -- --rate 4M
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
soak gate --db "$DB" 1 > "$T/gate.txt" 2>&1 || true
grep -q "FAIL  system-1 rss_drift: .*the workload holds more" "$T/gate.txt" || { cat "$T/gate.txt"; fail "rss_drift does not say the workload holds more"; }
grep -q "PASS  system-1 overhead_drift:" "$T/gate.txt" || { cat "$T/gate.txt"; fail "overhead_drift did not pass for a leak"; }

# 64 MiB of 16..256-byte blocks, half of them freed at random, then idle:
# the grow and free phases end well inside the 3 s warm-up.
soak run --db "$DB" -w fragment -d 8s -i 100ms --warmup 3s --no-progress -q -- \
  --peak 64M --min-size 16 --max-size 256 --free-pct 50 --idle 60s
soak report --db "$DB" --format json 2 > "$T/frag.json"
q "select l.t, l.value, r.value from samples_named l join samples_named r on r.run_id = l.run_id and r.t = l.t and r.metric = 'rss_bytes' where l.run_id = 2 and l.metric = 'bytes_live' and l.value is not null and r.value is not null order by l.t" > "$T/frag.samples"
python3 - "$T/frag.json" "$T/frag.samples" <<'PY' || fail "fragment: efficiency figures"
import json, sys
e = json.load(open(sys.argv[1]))["runs"][0]["efficiency"]
rows = [tuple(map(float, l.split("|"))) for l in open(sys.argv[2]) if l.strip()]
steady = [(l, r) for t, l, r in rows if 3 <= t]
live = sum(l for l, _ in steady) / len(steady)
rss = sum(r for _, r in steady) / len(steady)
# the workload's own count: half the blocks freed, so about half the bytes
assert 0.45 * 64 * 1048576 <= live <= 0.55 * 64 * 1048576, f"live after the free phase {live}"
assert abs(e["live_mean_bytes"] - live) <= 1e-6 * live + 1, (e["live_mean_bytes"], live)
assert abs(e["overhead_mean"] - rss / live) <= 0.005 * rss / live, (e["overhead_mean"], rss / live)
# at the sample with the most live bytes RSS per live byte was lower than after the free
tl, lp, rp = max(rows, key=lambda x: x[1])
assert lp >= 1.3 * live, f"no grow phase sampled: live peak {lp}, after {live}"
assert rss / live >= 1.25 * (rp / lp), f"overhead after free {rss / live:.2f} vs at the live peak {rp / lp:.2f}"
print(f"fragment: live {lp / 1048576:.1f} -> {live / 1048576:.1f} MiB, RSS per live byte {rp / lp:.2f} -> {rss / live:.2f}")
PY
pass "efficiency figures match the planted leak and fragmentation"
