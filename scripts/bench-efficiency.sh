#!/usr/bin/env bash
# bench-efficiency.sh [REPEAT] [DURATION] - memory efficiency of the
# allocators side by side (docs/efficiency.md): for random_mixed and fragment
# (default options), `soakctl compare` of system, mimalloc, jemalloc and
# tcmalloc, REPEAT runs each (default 3) of DURATION (default 20s) with a 2 s
# warm-up, interleaved; prints one Markdown table per workload with live bytes,
# RSS, RSS - live, overhead (mean and at peak), overhead drift and RSS drift
# (means over the runs), and the machine's load. Root, after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
D=${2:-20s}
S=$PWD/${BUILD_DIR:-build}/cli/soakctl
[ -x "$S" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups, perf counters)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-eff.XXXXXX)
trap 'rm -rf "$W"' EXIT
echo "start: $(uname -n), load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus; $R runs of $D each"
for wl in random_mixed fragment; do
  "$S" compare --db "$W/e.db" --repeat "$R" -w "$wl" -d "$D" --warmup 2s --format json \
    --output "$W/$wl.json" system mimalloc jemalloc tcmalloc > "$W/$wl.log" 2>&1 \
    || { cat "$W/$wl.log" >&2; exit 1; }
  python3 - "$W/$wl.json" "$wl" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
def f(v, fmt, scale=1):
    return "unavailable" if v is None else fmt % (v / scale)
print(f"\n{sys.argv[2]}:\n")
print("| Allocator | Live (MiB) | RSS (MiB) | RSS - live (MiB) | Overhead | Overhead drift | RSS drift |")
print("|---|---|---|---|---|---|---|")
M = 1048576
for a in j["allocators"]:
    g = a["figures"]
    live, rss = g.get("live_mean"), g.get("rss_mean")
    print(f"| {a['name']} | {f(live, '%.2f', M)} | {f(rss, '%.2f', M)} | "
          f"{f(None if live is None or rss is None else rss - live, '%.2f', M)} | "
          f"{f(g.get('overhead'), '%.3fx')} | {f(g.get('overhead_drift'), '%+.2f%%')} | "
          f"{f(g.get('rss_drift'), '%+.2f%%')} |")
PY
done
echo "end: load $(cut -d' ' -f1-3 /proc/loadavg)"
