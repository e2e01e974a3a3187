#!/usr/bin/env bash
# Measures the runner's own cost (docs/performance.md):
#  - runner CPU per sample at intervals of 1 s, 100 ms and 10 ms (runner.cpu_s,
#    the runner's getrusage, over runner.samples; and the marginal cost: the
#    10 ms run minus the 1 s run, which removes the fixed set-up cost);
#  - sampling jitter (actual minus planned sample time);
#  - database bytes per sample and per hour (file growth after a checkpoint,
#    10 ms run minus 1 s run);
#  - that every sample taken was stored (rows = runner.samples);
#  - the host's floor: CPU per sleep and wake-up of a process doing nothing
#    else, and /proc reads right after a wake-up vs warm (probes/bench/bench-wake.c);
#  - `report` time on a 60-minute 10 ms run, synthesised from the 10 ms run's
#    own samples through the real write path (db/bench/bench-synth.c: 360,000
#    ticks written with soak_db_sample_row, a commit every 10).
# usage: scripts/bench-runner.sh [DURATION (default 30s)] [BUILD_DIR (default build)]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-30s}
B=${2:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
S=$B/cli/soakctl
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
    stored = c.execute("select count(*) from samples_named where metric = 'rss_bytes'").fetchone()[0]
    nmetrics = c.execute("select count(distinct metric) from samples_named").fetchone()[0]
    dur = c.execute("select max(t) from samples_named where metric = 'rss_bytes'").fetchone()[0]
    c.execute("pragma wal_checkpoint(TRUNCATE)")
    c.close()
    res[iv] = (v, dur, stored, nmetrics, os.path.getsize(db))
(v1, _, n1, _, s1), (v2, _, n2, m2, s2) = res["1s"], res["10ms"]
cpu_per = (v2["runner.cpu_s"] - v1["runner.cpu_s"]) / (v2["runner.samples"] - v1["runner.samples"])
bytes_per = (s2 - s1) / (n2 - n1)
def us(v, k):
    return f"{v[k] / v['runner.samples'] * 1e6:.0f}" if k in v else "-"
print("| interval | samples taken | stored | runner CPU (s) | CPU per sample (µs, set-up included) | of which probes (µs) | of which database writes (µs) | jitter mean (µs) | jitter max (µs) |")
print("|---|---|---|---|---|---|---|---|---|")
for iv, (v, dur, stored, nm, size) in res.items():
    print(f"| {iv} | {v['runner.samples']:.0f} | {stored} | {v['runner.cpu_s']:.3f} | "
          f"{v['runner.cpu_s'] / v['runner.samples'] * 1e6:.0f} | {us(v, 'runner.probe_cpu_s')} | "
          f"{us(v, 'runner.store_cpu_s')} | {v['runner.jitter_mean_s'] * 1e6:.0f} | "
          f"{v['runner.jitter_max_s'] * 1e6:.0f} |")
print(f"\nPer sample, set-up excluded (10 ms run minus 1 s run): {cpu_per * 1e6:.0f} µs of runner CPU; "
      f"{cpu_per / 0.01 * 100:.2f}% of one CPU at 10 ms, {cpu_per * 100:.4f}% at 1 s.")
print(f"Database: {bytes_per:.0f} bytes per sample ({m2} metrics, {bytes_per / m2:.1f} bytes per metric value); "
      f"per hour: {bytes_per * 3600 / 1e6:.2f} MB at 1 s, {bytes_per * 36000 / 1e6:.1f} MB at 100 ms, "
      f"{bytes_per * 360000 / 1e6:.1f} MB at 10 ms.")
# Medians resist a busy host: per tick, the probes' median plus the median flush spread over the
# ticks it carries (a flush every 100 ms).
for iv, (v, _, _, _, _) in res.items():
    if "runner.probe_cpu_p50_s" in v and "runner.store_cpu_p50_s" in v:
        per = v["runner.samples"] / max(v["runner.flushes"], 1)
        print(f"{iv}: median CPU per tick in the probes {v['runner.probe_cpu_p50_s'] * 1e6:.1f} µs; median flush "
              f"{v['runner.store_cpu_p50_s'] * 1e6:.1f} µs for {per:.1f} ticks = {v['runner.store_cpu_p50_s'] / per * 1e6:.1f} µs "
              f"per tick; together {(v['runner.probe_cpu_p50_s'] + v['runner.store_cpu_p50_s'] / per) * 1e6:.1f} µs")
for iv, (v, _, stored, _, _) in res.items():
    if stored != int(v["runner.samples"]):
        print(f"LOSS: the {iv} run stored {stored} of {v['runner.samples']:.0f} samples")
PY
# The floor under all of it on this host: a process that only sleeps and wakes
# every 10 ms, and the same /proc reads first after a wake-up and at once again.
if [ -x "$B/probes/soak-bench-wake" ]; then
  "$B/probes/soak-bench-wake" 10 300
fi
# A 60-minute run at 10 ms: 360,000 ticks through the real write path.
[ -x "$B/db/soak-bench-synth" ] || { echo "(no $B/db/soak-bench-synth: report time not measured)"; exit 0; }
$B/db/soak-bench-synth "$tmp/10ms.db" 1 "$tmp/hour.db" 360000
sqlite3 "$tmp/hour.db" "pragma wal_checkpoint(TRUNCATE)" >/dev/null
echo "60-minute 10 ms database: $(( $(stat -c %s "$tmp/hour.db") / 1000000 )) MB"
for i in 1 2 3; do
  /usr/bin/time -f "report of the 60-minute 10 ms run: %e s wall, %U s user, %S s system, %M KiB max RSS" \
    "$S" report --db "$tmp/hour.db" --latest > /dev/null
done
