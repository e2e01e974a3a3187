#!/usr/bin/env bash
# A test allocator that busy-waits a known DELAY in every malloc
# (libslowmalloc, registered in soak.ini with its env) shifts the measured
# latency percentiles of tiny_hot by DELAY, within the histogram's error plus
# the busy-wait's overshoot, compared with a system run. In tiny_hot half the
# timed ops are frees (not delayed), so only percentiles above 50% are
# malloc-dominated: p90 and p99 are checked, and the CCDF must show half the
# ops slower than DELAY/2. `soakctl report --latency-ccdf` prints a CCDF whose
# fractions never increase and end near 0.
source "$(dirname "$0")/lib.sh"
cd "$T"
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built (tests/helpers/libslowmalloc.c)"
DELAY=20000 # ns: >= 10 us keeps the busy-wait's overshoot (~25 ns) well below 1%
cat > "$T/soak.ini" <<INI
[allocator.slow]
path = $LIB
env = SOAK_TEST_MALLOC_DELAY_NS=$DELAY
INI
LIBC=$(readlink -f "$(ldd "$SOAK_BUILD/workloads/soak-worker" | awk '$1 ~ /^libc\.so/ { print $3 }')")
# attempt N: a system and a slow run, then the check. Other jobs on the two
# shared cores can delay more than 1% of the mallocs by a few hundred ns (a
# burst of interrupts or a neighbour's cache traffic): a failed check is
# measured once more before the test fails.
attempt() {
  local ids=() a id
  for a in system slow; do
    soak run --db "$DB" --config "$T/soak.ini" -a $a -w tiny_hot --latency-sample 1 \
      -d 3s -i 250ms --warmup 500ms --label "attempt-$1" --no-progress -q || fail "$a run exited $?"
    id=$(q "select max(id) from runs")
    [ "$(q "select status || ':' || allocator_observed from runs where id=$id")" = "ok:$([ $a = system ] && echo "$LIBC" || echo "$LIB")" ] \
      || fail "run $id: $(q "select status || ' ' || coalesce(allocator_observed,'') || ' ' || coalesce(message,'') from runs where id=$id")"
    ids+=("$id")
  done
  soak report --db "$DB" --format json --latency-ccdf "${ids[@]}" > "$T/r.json" || fail "report exited $?"
  SLOW_ID=${ids[1]}
  python3 - "$T/r.json" $DELAY <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); delay = float(sys.argv[2])
sysr, slow = j["runs"]
ls, lw = sysr["latency"], slow["latency"]
assert ls["window"].startswith("steady state") and lw["window"].startswith("steady state"), (ls["window"], lw["window"])
# Each reported percentile is a bucket midpoint within 0.4% of the values in
# its bucket (docs/metrics.md); the busy-wait never returns early and
# overshoots by its last clock read or two (~25 ns each here), plus the TSC's
# 10 ns steps: allow 200 ns above.
# p99 is the tail of the 20 us waits themselves: an interrupt or a preemption
# during 2% of them lengthens exactly those (p99 of all ops is the 98th
# percentile of the mallocs). How much depends on the host: p99 shifts of
# 20.6-21.0 us in a busy minute on one VM, 26.8-27.4 us and, half an hour
# later in a CI run, 31.3-31.5 us on another whose interrupts cost several
# microseconds each (2026-12-04), p90 within 160 ns on both. A wait is never
# shorter than asked, so the lower bound stays exact; p99's upper bound allows
# host tail up to 90% of the delay: a doubled delay or a unit error still fails.
HIST_ERR = 0.004
OVERSHOOT = {"p90_ns": 200.0, "p99_ns": 0.90 * delay}
ok = True
for p in ("p90_ns", "p99_ns"):
    shift = lw[p] - ls[p]
    lo = delay * (1 - HIST_ERR) - ls[p]
    hi = delay * (1 + HIST_ERR) + OVERSHOOT[p]
    good = lo <= shift <= hi
    ok &= good
    print(f"{p}: system {ls[p]} ns, slow {lw[p]} ns: shift {shift:.1f} ns, expected {delay:.0f} "
          f"(allowed {lo:.0f} .. {hi:.0f}) {'ok' if good else 'OUT'}")
# Half the timed ops are mallocs: the fraction slower than delay/2 is ~0.5
# for slow and ~0 for system.
def frac_slower(run, x):
    c = [e for e in run["latency"]["ccdf"] if e["latency_ns"] <= x]
    return c[-1]["fraction_slower"] if c else 1.0
fs, fw = frac_slower(sysr, delay / 2), frac_slower(slow, delay / 2)
print(f"fraction slower than {delay/2:.0f} ns: system {fs:.5f}, slow {fw:.5f}")
ok &= fs < 0.001 and 0.49 <= fw <= 0.51
assert ok
PY
}
attempt 1 || { echo "retrying once: the machine may have been busy"; attempt 2; } || fail "latency shift not as expected"

# The CCDF: Markdown table, fractions non-increasing, the last one near 0.
soak report --db "$DB" --latency-ccdf "$SLOW_ID" > "$T/ccdf.md" || fail "report --latency-ccdf exited $?"
python3 - "$T/ccdf.md" <<'PY' || { cat "$T/ccdf.md"; fail "CCDF table malformed"; }
import re, sys
text = open(sys.argv[1]).read()
assert "## Latency CCDF" in text, "no CCDF section"
sec = text.split("## Latency CCDF", 1)[1]
rows = re.findall(r"^\| *([0-9.]+ ?[nµm]?s) *\| *([0-9.e+-]+) *\| *([0-9]+) *\|$", sec, re.M)
assert len(rows) >= 5, rows
fr = [float(f) for _, f, _ in rows]
ops = [int(o) for _, _, o in rows]
print("CCDF:", ", ".join(f"{l} {f}" for l, f, _ in rows))
assert all(a >= b for a, b in zip(fr, fr[1:])), "fractions increase"
assert all(a >= b for a, b in zip(ops, ops[1:])), "ops slower increase"
assert fr[0] >= 0.99, fr[0]
assert fr[-1] <= 0.001, fr[-1]
PY
python3 - "$T/r.json" <<'PY' || fail "JSON CCDF malformed"
import json, sys
for r in json.load(open(sys.argv[1]))["runs"]:
    c = r["latency"]["ccdf"]
    xs = [e["latency_ns"] for e in c]; fs = [e["fraction_slower"] for e in c]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs
    assert all(a >= b for a, b in zip(fs, fs[1:])), fs
    assert fs[-1] <= 0.001, fs
    n = r["latency"]["count"]
    assert all(abs(e["ops_slower"] - e["fraction_slower"] * n) <= 1e-6 * n + 1 for e in c), c
PY
assert_no_cgroups
pass "a ${DELAY} ns malloc delay shifts p90/p99 by the delay; CCDF monotone, ends near 0"
