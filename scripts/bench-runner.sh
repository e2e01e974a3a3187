#!/usr/bin/env bash
# Measures the runner's own cost: CPU per sample (at a 1 s and a 10 ms
# interval, and the difference between them, which is the per-sample cost
# without the fixed set-up cost), sampling jitter (actual minus planned sample
# time), and database rows and bytes per hour of soak.
# usage: scripts/bench-runner.sh [DURATION (default 30s)]   (root; after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-30s}
S=./build/runner/soakctl
tmp=$(mktemp -d /tmp/soak-bench.XXXXXX); trap 'rm -rf "$tmp"' EXIT
for iv in 1s 100ms 10ms; do
  "$S" run --db "$tmp/$iv.db" -w random_mixed -d "$dur" -i "$iv" --no-progress -q
done
python3 - "$tmp" <<'PY'
import sqlite3, sys, os
d = sys.argv[1]
res = {}
for iv in ("1s", "100ms", "10ms"):
    db = f"{d}/{iv}.db"
    c = sqlite3.connect(db)
    v = dict(c.execute("select name, value from run_values"))
    dur = c.execute("select max(t) from samples").fetchone()[0]
    nrows = c.execute("select count(*) from samples").fetchone()[0]
    c.execute("pragma wal_checkpoint(TRUNCATE)")
    c.close()
    res[iv] = (v, dur, nrows, os.path.getsize(db))
# Marginal costs: the difference between the 10 ms and the 1 s run removes the
# fixed part (set-up CPU, schema pages, logs, histograms).
(v1, _, r1, s1), (v2, _, r2, s2) = res["1s"], res["10ms"]
cpu_per = (v2["runner.cpu_s"] - v1["runner.cpu_s"]) / (v2["runner.samples"] - v1["runner.samples"])
bytes_per_row = (s2 - s1) / (r2 - r1)
print("| interval | samples | runner CPU (s) | jitter mean (µs) | jitter max (µs) | sample rows per hour | DB bytes per hour |")
print("|---|---|---|---|---|---|---|")
for iv, (v, dur, nrows, size) in res.items():
    rph = nrows / dur * 3600
    print(f"| {iv} | {v['runner.samples']:.0f} | {v['runner.cpu_s']:.3f} | {v['runner.jitter_mean_s'] * 1e6:.0f} | "
          f"{v['runner.jitter_max_s'] * 1e6:.0f} | {rph:,.0f} | {rph * bytes_per_row / 2**20:,.1f} MiB |")
print(f"\nPer sample (set-up excluded): {cpu_per * 1e6:.0f} µs of runner CPU; at a 10 ms interval "
      f"{cpu_per / 0.01 * 100:.1f}% of one CPU, at 1 s {cpu_per * 100:.3f}%. Database: {bytes_per_row:.0f} bytes per sample row.")
PY
