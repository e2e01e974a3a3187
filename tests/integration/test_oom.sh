#!/usr/bin/env bash
# A memory limit is enforced: a leak under --memory-max 64M ends oom-killed,
# its samples are kept, and its cgroups are removed.
source "$(dirname "$0")/lib.sh"
soak run --db "$DB" -w leak -d 60s -i 100ms --memory-max 64M --swap-max 0 --no-progress -- --rate 64M
status=$(q "select status from runs")
[ "$status" = oom-killed ] || fail "status is '$status', expected oom-killed"
n=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where m.name='rss_bytes' and s.value is not null")
[ "$n" -gt 3 ] || fail "only $n rss samples kept"
peak=$(q "select value from run_values where name='peak_rss_bytes'")
python3 -c "import sys; p=float(sys.argv[1]); sys.exit(0 if 60e6 < p <= 64*2**20 else 1)" "$peak" \
  || fail "peak $peak is not near the 64 MiB limit"
t=$(q "select max(t) from samples")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 30 else 1)" "$t" || fail "OOM kill came late (t=$t)"
q "select kind from events" | grep -qx oom_kill || fail "no oom_kill event"
assert_no_cgroups
pass "leak under 64M: oom-killed at t=${t}s, peak ${peak} bytes"
