#!/usr/bin/env bash
# Peak RSS is the worker's own: with the runner holding an extra 200 MB when it
# forks, a 10 MB workload still reports a peak near 10 MB (the ru_maxrss
# pitfall in the platform notes).
source "$(dirname "$0")/lib.sh"
H=$SOAK_BUILD/tests
# In the ASan build the sanitizer wants to be first in the library list; the
# ballast library defines no allocator function, so the order is harmless.
SOAK_TEST_BALLAST_MB=200 LD_PRELOAD=$H/libballast.so ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
  soak run --db "$DB" -w exec -d 10s -i 100ms --no-progress -q -- "$H/hold" 10 2
[ "$(q "select status from runs")" = ok ] || fail "status $(q 'select status from runs'): $(q 'select message from runs')"
peak=$(q "select value from run_values where name='peak_rss_bytes'")
python3 -c "import sys; p=float(sys.argv[1]); sys.exit(0 if 10*2**20 <= p <= 16*2**20 else 1)" "$peak" \
  || fail "peak $peak bytes is not near 10 MiB (runner held 200 MiB)"
rss=$(q "select max(value) from samples s join metrics m on m.id=s.metric_id where m.name='rss_bytes'")
python3 -c "import sys; p=float(sys.argv[1]); sys.exit(0 if 10*2**20 <= p <= 14*2**20 else 1)" "$rss" \
  || fail "sampled max RSS $rss bytes is not near 10 MiB"
# Page faults against ground truth: touching 30 MiB more (hold 40 vs hold 10)
# is 7680 more first-touch minor faults of 4 KiB pages (THP is only used on
# madvise, which malloc does not do), counted by perf and by /proc alike.
soak run --db "$DB" -w exec -d 10s -i 100ms --no-progress -q -- "$H/hold" 40 1
mx() { q "select max(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=$1 and m.name='$2'"; }
for m in pf_minor minflt; do
  d=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(mx 2 $m)" "$(mx 1 $m)")
  approx "$d" 7680 0.02 || fail "$m: 30 MiB more touched gave $d more faults, expected 7680"
done
[ "$(mx 2 pf_major)" = 0.0 ] || fail "major faults without swap or file I/O: $(mx 2 pf_major)"
assert_no_cgroups
pass "page faults: +30 MiB touched = +$d minor faults (7680 pages)"
pass "peak $peak bytes, sampled max rss $rss bytes, with a 200 MiB runner"
