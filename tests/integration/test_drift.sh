#!/usr/bin/env bash
# The positive and negative controls of drift: a leak's RSS slope interval
# excludes zero; a steady random_mixed run's includes it.
source "$(dirname "$0")/lib.sh"
soak run --db "$DB" -w leak -d 8s -i 200ms --warmup 1s --no-progress -q -- --rate 16M
soak run --db "$DB" -w random_mixed -d 8s -i 200ms --warmup 2s --no-progress -q
soak report --db "$DB" --format json 1 2 > "$T/r.json"
lo=$(json_get "$T/r.json" "j['runs'][0]['rss']['slope_ci95'][0]")
drift=$(json_get "$T/r.json" "j['runs'][0]['rss']['drift_pct']")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "$lo" || fail "leak slope CI lower bound $lo is not > 0"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 20 else 1)" "$drift" || fail "leak drift $drift% too small"
lo2=$(json_get "$T/r.json" "j['runs'][1]['rss']['slope_ci95'][0]")
hi2=$(json_get "$T/r.json" "j['runs'][1]['rss']['slope_ci95'][1]")
python3 -c "import sys; lo,hi=map(float,sys.argv[1:]); sys.exit(0 if lo <= 0 <= hi else 1)" "$lo2" "$hi2" \
  || fail "steady run's slope CI [$lo2, $hi2] excludes 0"
# The leak's measured growth matches what it was told to leak (16 MiB/s).
rate=$(json_get "$T/r.json" "j['runs'][0]['rss']['slope_bytes_per_s']" 2>/dev/null || echo "")
if [ -n "$rate" ] && [ "$rate" != None ]; then
  approx "$rate" $((16*1024*1024)) 0.15 || fail "leak slope $rate B/s is not 16 MiB/s"
fi
assert_no_cgroups
pass "leak CI lower bound $lo > 0, drift $drift%; steady CI [$lo2, $hi2] contains 0"
