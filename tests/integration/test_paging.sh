#!/usr/bin/env bash
# paging (seed 000, lgalloc's paging benchmark) under --memory-max 64M with a
# 192 MiB working set (3x the limit) really pages, against ground truth:
#   - status ok, the whole working set was allocated (bytes_live = 192 MiB);
#   - the worker swapped (swap_bytes / cg_swap_bytes) and took major faults;
#   - memory charged to the cgroup never exceeded the 64 MiB limit;
#   - the latency is bimodal as seed 000 describes: resident reads below two
#     microseconds, swap-ins above, an empty shelf between them in the CCDF,
#     p50 a swap-in and p99 at tens of microseconds or more;
#   - `report --latency-ccdf` prints a monotone CCDF; no cgroups are left.
# Swap: an active swap area is used as it is; without one the test enables a
# 512 MiB swap file with scripts/swap.sh (private file and state paths) and a
# trap disables it on every exit path, then checks /proc/swaps is as it was.
# Only then (no swap at all) `-w paging` must be refused: exit 2, a message
# naming scripts/swap.sh on/off, no run recorded, no cgroup created.
source "$(dirname "$0")/lib.sh"
# One instance at a time: a second one would see our swap as "already active",
# use it, and find it gone when we turn it off. Locks this script (no file made).
exec 9<"$0"
flock -w 60 9 || fail "another test_paging.sh held the lock for 60 s"
cd "$T"
SWAP_SH=$SOAK_SRC/scripts/swap.sh
# Our own swap file and state file: a `scripts/swap.sh on` by hand (default
# paths) is never touched by this test. Fixed names, so a test killed with
# SIGKILL (no trap) is cleaned up by the next one (below).
export SOAK_SWAP_FILE=/var/tmp/soak-test-paging.swap
export SOAK_SWAP_STATE=/var/tmp/soak-test-paging.state

# Swap areas (name, type, size: `Used` changes), to compare on exit.
swaps() { awk 'NR > 1 { print $1, $2, $3 }' /proc/swaps; }
swap_off() { # retried: swapoff needs memory to swap the pages back in
  local i
  for i in 1 2 3; do "$SWAP_SH" off && return 0; sleep 1; done
  return 1
}
# A swap file of ours left active by a killed (SIGKILL) earlier run: remove it.
if [ -f "$SOAK_SWAP_STATE" ]; then
  echo "a previous test_paging.sh left $SOAK_SWAP_STATE: cleaning it"
  swap_off || fail "cannot clean the previous test's swap"
fi
SWAPS_BEFORE=$(swaps)
WE_SWAP=0 # 1 while our swap may be active
on_exit() {
  local rc=$? now
  if [ "$WE_SWAP" = 1 ]; then
    swap_off || { echo "FAIL: $SWAP_SH off failed: $SOAK_SWAP_FILE may still be active" >&2; rc=1; }
  fi
  now=$(swaps)
  if [ "$now" != "$SWAPS_BEFORE" ]; then
    echo "FAIL: /proc/swaps differs from before the test: was '${SWAPS_BEFORE:-none}', is '${now:-none}'" >&2
    rc=1
  fi
  if [ -e "$SOAK_SWAP_FILE" ] || [ -e "$SOAK_SWAP_STATE" ]; then
    echo "FAIL: $SOAK_SWAP_FILE or $SOAK_SWAP_STATE left behind" >&2
    rc=1
  fi
  cleanup
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if [ -n "$SWAPS_BEFORE" ]; then
  echo "swap already active, used as it is: $(echo "$SWAPS_BEFORE" | tr '\n' ';')"
else
  WE_SWAP=1 # before `on`: a failure half-way is still cleaned by the trap
  "$SWAP_SH" on 512M || fail "$SWAP_SH on 512M failed"
  [ -n "$(swaps)" ] || fail "$SWAP_SH on 512M: /proc/swaps lists no swap"
fi

MIB=$((1024 * 1024))
LIMIT=$((64 * MIB))
WS=$((3 * LIMIT))
# The default --size is 3x the run's memory limit: 192 MiB here (checked
# below through bytes_live).
soak run --db "$DB" -w paging --memory-max 64M --swap-max 512M -d 8s -i 250ms --no-progress -q \
  2> "$T/err" || fail "paging run exited $? ($(cat "$T/err"))"
[ "$(q "select count(*) from runs")" = 1 ] || fail "expected one run record"
st=$(q "select status || ' ' || coalesce(exit_code, '') || ' ' || coalesce(message, '') from runs")
[ "$st" = "ok 0 " ] || fail "run status: $st"

# m NAME: the largest sample of a metric (empty when never sampled)
m() { q "select max(s.value) from samples s join metrics m on m.id = s.metric_id where m.name = '$1' and s.value is not null"; }
live=$(m bytes_live) usage=$(m cg_mem_usage_bytes) swp=$(m swap_bytes) cgswp=$(m cg_swap_bytes) majflt=$(m majflt)

# The fill finished: every 1 MiB block of the working set was allocated.
[ "${live%.0}" = "$WS" ] || fail "bytes_live peaked at $live, expected $WS (fill incomplete?)"

# Ground truth: the cgroup's charge never exceeds its limit (the kernel
# reclaims or OOM-kills first), so no tolerance.
[ -n "$usage" ] || fail "no cg_mem_usage_bytes samples"
python3 -c "import sys; sys.exit(0 if 0 < float(sys.argv[1]) <= $LIMIT else 1)" "$usage" \
  || fail "cg_mem_usage_bytes peaked at $usage, above the $LIMIT-byte limit"

# Ground truth: once the fill is done (checked above), 192 MiB are live and at
# most 64 MiB of them resident (the limit also holds page tables and file
# pages), so at least 192 - 64 - 1 = 127 MiB are in swap at every later sample
# (the 1 MiB: a realloc+touch between its free and its malloc). 7 MiB below
# that for the kernel's approximate per-CPU counters behind VmSwap and the two
# separate reads behind v1's cg_swap_bytes: at least 120 MiB (measured
# 129-141 MiB; 129 on zram, 135-141 on the swap file).
SWAP_PEAK_MIB=$(python3 -c "import sys; print(int(max([float(x) for x in sys.argv[1:] if x] or [0]) / 2**20))" "$swp" "$cgswp")
[ "$SWAP_PEAK_MIB" -ge 120 ] || fail "swap peaked at swap_bytes=$swp cg_swap_bytes=$cgswp, expected >= 120 MiB"

# The worker's own /proc counters saw major faults (per op: below).
python3 -c "import sys; sys.exit(0 if float(sys.argv[1] or 0) > 0 else 1)" "$majflt" \
  || fail "majflt peaked at '$majflt': the worker did not page"

soak report --db "$DB" --format json --latency-ccdf 1 > "$T/r.json" || fail "report --format json exited $?"
WE_SWAP=$WE_SWAP python3 - "$T/r.json" <<'PY' || fail "latency not bimodal as seed 000 describes"
import json, os, sys
r = json.load(open(sys.argv[1]))["runs"][0]
lat, pf = r["latency"], r["page_faults"]
p50, p90, p99, n = lat["p50_ns"], lat["p90_ns"], lat["p99_ns"], lat["count"]
print(f"ops {n}, p50 {p50/1e3:.1f} us, p90 {p90/1e3:.1f} us, p99 {p99/1e3:.1f} us, "
      f"max {lat['max_ns']/1e6:.1f} ms; swap peak {(r['rss']['swap_peak_bytes'] or 0)/2**20:.0f} MiB; "
      f"major faults {pf['major']} ({pf['major_per_op'] or 0:.2f}/op, {pf['source']})")
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
# Even a loaded host does thousands of ops in 8 s (measured 6700-25000; fewer
# under two busy loops or with the sanitizer build).
check(n >= 500, f"{n} ops timed (>= 500)")
# Every read of a swapped-out page is a major fault, and about two thirds of
# the reads (15 in 16 ops) find their page in swap: ~0.6 per op from reads
# alone (realloc+touch adds more: glibc recycles swapped-out heap). A swap
# readahead hit is a minor fault instead: at least 0.25 per op (measured
# 1.5-10 per op).
mpo = pf["major_per_op"]
check(mpo is not None and mpo >= 0.25, f"major faults per op {mpo or 0:.2f} >= 0.25 ({pf['source']})")
ccdf = lat["ccdf"]
def slower(x):  # fraction of ops slower than x ns (CCDF points: 1-2-5 per decade)
    c = [e for e in ccdf if e["latency_ns"] <= x]
    return c[-1]["fraction_slower"] if c else 1.0
# Resident reads: a TLB and cache miss, 200 ns - 2 us in this VM (a TLB miss
# under nested paging walks two page tables: 1-2 us for 10-17% of the ops on
# some days, with release and sanitizer builds alike); swap-ins from the swap
# file: a major fault, tens of microseconds or more on the virtio disk (a few
# on zram); realloc+touch: 256 page writes and faults, tens of microseconds or
# more. Uniform random reads hit the resident part of the working set in
# proportion to its size: at most limit/ws = 1/3 of the reads, which are 15 in
# 16 ops, so at most 0.3125 of the ops are resident reads. Only they can be
# faster than 1 us: at most 0.34 (ground truth; the CCDF's rounding).
fast1 = 1 - slower(1000)
check(fast1 <= 0.34, f"{fast1:.3f} of ops faster than 1 us (<= 0.34: only resident reads are)")
# The resident mode, below 2 us: the lower bound is not ground truth. How much
# of the 64 MiB the kernel leaves to the working set's own pages varies by
# host: page tables, page cache and swap-cache pages that readahead brought in
# take the rest (measured 0.285-0.309 on one host, 0.136-0.143 on another with
# the same kernel, 2026-12-04), and swap-cache hits (a minor fault, 1-2 us)
# can add to it (up to 0.10 on one day). At least 0.08: a resident mode
# exists (a run whose reads all went to swap would show ~0).
fast2 = 1 - slower(2000)
check(0.08 <= fast2 <= 0.45, f"resident mode: {fast2:.3f} of ops faster than 2 us (0.08 .. 0.45)")
# Above it: the swap-ins from the device, at least 0.55 (measured 0.69-0.72).
s2 = slower(2000)
check(s2 >= 0.55, f"swap-in mode: {s2:.3f} of ops slower than 2 us (>= 0.55)")
# The shelf between the two modes, on the swap file this test makes: a read
# from the virtio disk takes tens of microseconds, so 2-5 us holds neither
# mode (measured 0.019-0.026 of the ops): at most 0.10. Not checked on a swap
# area found active (zram swap-ins can take a few microseconds).
if os.environ.get("WE_SWAP") == "1":
    s5 = slower(5000)
    check(s2 - s5 <= 0.10, f"shelf: {s2 - s5:.4f} of ops between 2 and 5 us (<= 0.10)")
else:
    print("skip shelf: swap area not made by this test")
# So the median op is a swap-in (slower than any resident read) ...
check(p50 > 2000, f"p50 {p50:.0f} ns is a swap-in (> 2 us)")
# ... and p99 falls among the realloc+touch ops (1 in 16 > 1%: free + malloc +
# a write to each of 256 pages, faulted in under reclaim at the limit) and the
# slowest swap-ins: tens of microseconds even if every page came back warm
# (measured 3-21 ms). p50 is one single-page fault: p99 well above it; 10x
# is not ground truth (an allocator handing back warm pages would narrow the
# gap), glibc here recycles swapped-out heap (measured 160-650x).
check(p99 >= 20000, f"p99 {p99:.0f} ns >= 20 us")
check(p99 >= 10 * p50, f"p99/p50 = {p99 / p50:.0f} >= 10")
# The JSON CCDF itself: sorted thresholds, non-increasing fractions, ending at 0.
xs = [e["latency_ns"] for e in ccdf]; fs = [e["fraction_slower"] for e in ccdf]
check(xs == sorted(set(xs)), "CCDF thresholds increase")
check(all(a >= b for a, b in zip(fs, fs[1:])), "CCDF fractions never increase")
check(fs[-1] == 0, "CCDF ends at 0")
check(all(abs(e["ops_slower"] - e["fraction_slower"] * n) <= 1e-6 * n + 1 for e in ccdf),
      "CCDF ops_slower = fraction_slower x count")
sys.exit(0 if ok else 1)
PY

# The Markdown CCDF: latencies increase, fractions and counts never increase,
# from (nearly) every op to none.
soak report --db "$DB" --latency-ccdf 1 > "$T/ccdf.md" || fail "report --latency-ccdf exited $?"
python3 - "$T/ccdf.md" <<'PY' || { cat "$T/ccdf.md"; fail "CCDF table malformed"; }
import re, sys
text = open(sys.argv[1]).read()
assert "## Latency CCDF" in text, "no CCDF section"
sec = text.split("## Latency CCDF", 1)[1]
rows = re.findall(r"^\| *([0-9.]+) ?(ns|µs|ms|s) *\| *([0-9.e+-]+) *\| *([0-9]+) *\|$", sec, re.M)
assert len(rows) >= 5, rows
unit = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}
xs = [float(v) * unit[u] for v, u, _, _ in rows]
fr = [float(f) for _, _, f, _ in rows]
ops = [int(o) for _, _, _, o in rows]
print("CCDF:", ", ".join(f"{v}{u} {f}" for v, u, f, _ in rows))
assert all(a < b for a, b in zip(xs, xs[1:])), "latencies do not increase"
assert all(a >= b for a, b in zip(fr, fr[1:])), "fractions increase"
assert all(a >= b for a, b in zip(ops, ops[1:])), "ops slower increase"
assert fr[0] >= 0.99 and fr[-1] == 0 and ops[-1] == 0, (fr[0], fr[-1], ops[-1])
PY
assert_no_cgroups
pass "paging: 3x the limit, swapped, within the limit, bimodal latency ($(json_get "$T/r.json" \
  "'p50 %.1f us, p99 %.2f ms' % (j['runs'][0]['latency']['p50_ns']/1e3, j['runs'][0]['latency']['p99_ns']/1e6)"),\
 swap peak $SWAP_PEAK_MIB MiB)"

# A run that may not swap (--swap-max 0) is refused before it is recorded.
before=$(q "select count(*) from runs")
rc=0
soak run --db "$DB" -w paging --memory-max 64M --swap-max 0 -d 2s --no-progress -q 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "swap-max" "$T/err" || fail "paging with --swap-max 0: exit $rc ($(cat "$T/err"))"
[ "$(q "select count(*) from runs")" = "$before" ] || fail "paging with --swap-max 0 recorded a run"
pass "paging with --swap-max 0 refused: $(cat "$T/err")"

# Without any swap, paging is refused before a run is recorded. Only when the
# swap was ours: an existing swap area is never turned off.
if [ "$WE_SWAP" = 1 ]; then
  swap_off || fail "$SWAP_SH off failed"
  WE_SWAP=0
  [ -z "$(swaps)" ] || fail "swap still active after $SWAP_SH off: $(swaps)"
  [ ! -e "$SOAK_SWAP_FILE" ] || fail "$SWAP_SH off left $SOAK_SWAP_FILE"
  rc=0
  # Under strace: the refused soakctl must not even create a cgroup directory.
  # (LeakSanitizer cannot run under ptrace: off for this one command.)
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o "$T/mkdir" -e trace=mkdir,mkdirat \
    "$SOAKCTL" run --db "$DB" -w paging --memory-max 64M --swap-max 512M -d 8s -i 250ms --no-progress -q \
    2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "paging without swap: exit $rc, expected 2 ($(cat "$T/err"))"
  grep -q "scripts/swap.sh on" "$T/err" && grep -q "scripts/swap.sh off" "$T/err" \
    || fail "paging without swap: the message does not name scripts/swap.sh on/off: $(cat "$T/err")"
  [ "$(q "select count(*) from runs")" = 1 ] || fail "paging without swap recorded a run"
  left=$(grep /sys/fs/cgroup "$T/mkdir" || true)
  [ -z "$left" ] || fail "paging without swap left cgroups: $left"
  pass "paging without swap refused: $(head -c 300 "$T/err")"
else
  echo "SKIP (paging refusal): swap was active before the test and is left alone"
fi
assert_no_cgroups
