#!/usr/bin/env bash
# What 10 ms sampling costs the workload, measured inside each run
# (docs/performance.md). scripts/bench-overhead.sh compares whole runs, whose
# throughput differs by ±10-30% on a shared VM for reasons of their own (heap
# layout, CPU placement, neighbours): a 1% cost is lost in it. Here every run
# alternates phases of P seconds sampled at the interval (10 ms) with phases
# sampled only at their start (SOAK_BENCH_PHASE_S, runner/run-live.c), so the
# two sides share the run's heap, placement and host state. A phase's
# throughput = (ops_total at the next phase's first sample - at its own first
# sample) / the time between them. Each coarse phase is set against the mean
# of the fine phases either side of it (ABA: a linear drift cancels); the cost
# is 1 - fine/coarse. The placebo (A/A) sets each fine phase against the mean
# of the next two fine phases, the method's own noise at the same spacing.
# usage: scripts/bench-overhead-phases.sh [RUNS (5)] [DURATION (60s)] [BUILD_DIR (build)]
#        env: THREADS (default: all CPUs), PHASE (default 1), INTERVAL (default 10ms)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
dur=${2:-60s}
B=${3:-build}
threads=${THREADS:-$(nproc)}
phase=${PHASE:-1}
iv=${INTERVAL:-10ms}
case $B in /*) ;; *) B=$PWD/$B ;; esac
S=$B/cli/soakctl
tmp=$(mktemp -d /tmp/soak-overhead.XXXXXX); trap 'rm -rf "$tmp"' EXIT
echo "# random_mixed --threads $threads, $runs runs of $dur, phases of ${phase} s at $iv vs unsampled; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for r in $(seq 1 "$runs"); do
  SOAK_BENCH_PHASE_S=$phase "$S" run --db "$tmp/r$r.db" -w random_mixed -d "$dur" -i "$iv" --no-progress -q -- --threads "$threads"
done
python3 - "$tmp" "$runs" "$phase" <<'PY'
import sqlite3, statistics as st, sys, math
d, runs, P = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
T = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}
def ci(x):
    return T.get(len(x) - 1, 2.0) * st.stdev(x) / math.sqrt(len(x)) if len(x) > 1 else float("nan")
per_run, per_run_aa, allc = [], [], []
print("| run | phases (fine/coarse) | fine (M ops/s) | coarse (M ops/s) | cost of 10 ms sampling | placebo A/A | runner CPU (µs/sample) |")
print("|---|---|---|---|---|---|---|")
for r in range(1, runs + 1):
    c = sqlite3.connect(f"{d}/r{r}.db")
    pts = c.execute("select t, value from samples_named where metric='ops_total' and value is not null order by t").fetchall()
    v = dict(c.execute("select name, value from run_values"))
    end = max(t for t, _ in pts)
    kmax = int(end // P)
    bound = {}
    for k in range(0, kmax + 1):            # first sample at or after k P
        for t, x in pts:
            if t >= k * P - 1e-9:
                bound[k] = (t, x)
                break
    rate = {k: (bound[k + 1][1] - bound[k][1]) / (bound[k + 1][0] - bound[k][0])
            for k in range(2, kmax) if k in bound and k + 1 in bound}   # skip the first 2 s
    cost, aa = [], []
    for k in rate:
        if k % 2 == 1 and k - 1 in rate and k + 1 in rate:           # coarse phase between two fine ones
            cost.append(1 - (rate[k - 1] + rate[k + 1]) / 2 / rate[k])
        if k % 2 == 0 and k + 2 in rate and k + 4 in rate:
            aa.append(1 - (rate[k + 2] + rate[k + 4]) / 2 / rate[k])
    fine = st.mean(x for k, x in rate.items() if k % 2 == 0) / 1e6
    coarse = st.mean(x for k, x in rate.items() if k % 2 == 1) / 1e6
    per_run.append(st.mean(cost)); per_run_aa.append(st.mean(aa)); allc += cost
    print(f"| {r} | {sum(1 for k in rate if k % 2 == 0)}/{sum(1 for k in rate if k % 2)} | {fine:.2f} | {coarse:.2f} | "
          f"{st.mean(cost) * 100:+.2f}% ± {ci(cost) * 100:.2f}% | {st.mean(aa) * 100:+.2f}% ± {ci(aa) * 100:.2f}% | "
          f"{v['runner.cpu_s'] / v['runner.samples'] * 1e6:.0f} |")
print(f"\nCost of {runs} runs: {st.mean(per_run) * 100:+.2f}% ± {ci(per_run) * 100:.2f}% (95% CI over the runs' means; "
      f"{len(allc)} coarse phases in all, each against its two neighbours).")
print(f"Placebo A/A (fine vs fine, same spacing): {st.mean(per_run_aa) * 100:+.2f}% ± {ci(per_run_aa) * 100:.2f}%.")
PY
