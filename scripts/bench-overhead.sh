#!/usr/bin/env bash
# What fine sampling costs the workload (docs/performance.md): throughput of
# `random_mixed --threads THREADS` (default: the number of CPUs, so every core
# is busy) sampled at 10 ms against the same at 1 s, in paired, interleaved
# rounds. Each round runs 1 s, 10 ms, 1 s (ABA, which cancels a linear drift of
# the host); the round's ratio is TP(10 ms) / mean(TP(1 s)), and the two 1 s
# runs of the round give an A/A ratio: how far two identical runs differ on
# this host at the same time, the noise any cost must be read against.
# Throughput = (ops_total at the last sample - at the first sample after 1 s) /
# the time between them, from the run's own samples.
# usage: scripts/bench-overhead.sh [ROUNDS (default 5)] [DURATION (default 15s)] [BUILD_DIR (default build)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
dur=${2:-15s}
B=${3:-build}
threads=${THREADS:-$(nproc)}
case $B in /*) ;; *) B=$PWD/$B ;; esac
S=$B/cli/soakctl
tmp=$(mktemp -d /tmp/soak-overhead.XXXXXX); trap 'rm -rf "$tmp"' EXIT
echo "# random_mixed --threads $threads, $dur per run, $rounds rounds of 1s/10ms/1s; $(nproc) CPUs; $(date -u +%FT%TZ)"
for r in $(seq 1 "$rounds"); do
  for slot in a b c; do
    iv=1s; [ $slot = b ] && iv=10ms
    "$S" run --db "$tmp/r$r$slot.db" -w random_mixed -d "$dur" -i "$iv" --no-progress -q -- --threads "$threads"
  done
done
python3 - "$tmp" "$rounds" <<'PY'
import sqlite3, statistics as st, sys, math
d, rounds = sys.argv[1], int(sys.argv[2])
def tp(path):
    c = sqlite3.connect(path)
    pts = c.execute("select t, value from samples_named where metric='ops_total' and value is not null"
                    " and t >= 1.0 order by t").fetchall()
    cpu = dict(c.execute("select name, value from run_values"))
    (t0, v0), (t1, v1) = pts[0], pts[-1]
    return (v1 - v0) / (t1 - t0) / 1e6, cpu["runner.cpu_s"], cpu["runner.samples"]
rat, aa = [], []
print("| round | 1 s (M ops/s) | 10 ms (M ops/s) | 1 s (M ops/s) | 10 ms / 1 s | A/A (1 s / 1 s) | runner CPU at 10 ms (µs/sample) |")
print("|---|---|---|---|---|---|---|")
for r in range(1, rounds + 1):
    a, b, c = (tp(f"{d}/r{r}{s}.db") for s in "abc")
    ratio = b[0] / ((a[0] + c[0]) / 2)
    rat.append(ratio)
    aa.append(c[0] / a[0])
    print(f"| {r} | {a[0]:.2f} | {b[0]:.2f} | {c[0]:.2f} | {ratio:.4f} | {aa[-1]:.4f} | {b[1] / b[2] * 1e6:.0f} |")
def ci(x):
    if len(x) < 2:
        return float("nan")
    t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26}.get(len(x), 2.0)
    return t * st.stdev(x) / math.sqrt(len(x))
print(f"\n10 ms vs 1 s: mean ratio {st.mean(rat):.4f} ± {ci(rat):.4f} (95% CI, {rounds} rounds), "
      f"i.e. a cost of {(1 - st.mean(rat)) * 100:+.2f}% ± {ci(rat) * 100:.2f}%; rounds from {min(rat):.4f} to {max(rat):.4f}.")
print(f"A/A (1 s vs 1 s): mean {st.mean(aa):.4f} ± {ci(aa):.4f}; rounds from {min(aa):.4f} to {max(aa):.4f}, "
      f"spread (max - min) {(max(aa) - min(aa)) * 100:.2f}%.")
PY
