#!/usr/bin/env bash
# bench-efficiency.sh [REPEAT] [DURATION] - memory efficiency of the
# allocators side by side (docs/efficiency.md): for random_mixed with a
# working set of 100,000 slots (about 50 MiB live) and fragment (default
# options), `soakctl compare` of system, mimalloc, jemalloc and
# tcmalloc, REPEAT runs each (default 3) of DURATION (default 20s) with a 2 s
# warm-up, interleaved; prints one Markdown table per workload with live bytes,
# RSS, RSS - live, overhead (mean and at peak), overhead drift and RSS drift
# (means over the runs), then the memory layers (steady-state means over the
# runs: requested, usable, the allocator's allocated/active/resident/mapped,
# RSS), and the machine's load. Root, after scripts/build.sh.
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
  args=(); [ "$wl" = random_mixed ] && args=(-- --ws 100000)
  "$S" compare --db "$W/e.db" --repeat "$R" -w "$wl" -d "$D" --warmup 2s --format json \
    --output "$W/$wl.json" system mimalloc jemalloc tcmalloc "${args[@]}" > "$W/$wl.log" 2>&1 \
    || { cat "$W/$wl.log" >&2; exit 1; }
  ids=$(python3 -c "import json,sys; print(' '.join(str(i) for a in json.load(open(sys.argv[1]))['allocators'] for i in a['runs']))" "$W/$wl.json")
  # shellcheck disable=SC2086
  "$S" report --db "$W/e.db" --format json $ids > "$W/$wl.runs.json"
  python3 - "$W/$wl.json" "$wl ${args[*]}" "$W/$wl.runs.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
runs = {r["id"]: r for r in json.load(open(sys.argv[3]))["runs"]}
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
layers = ["bytes_live", "bytes_usable", "alloc_allocated_bytes", "alloc_active_bytes",
          "alloc_resident_bytes", "alloc_mapped_bytes", "rss_bytes"]
print("\nLayers (steady-state mean, MiB; unavailable: the reason is in the report):\n")
print("| Allocator | " + " | ".join(layers) + " |")
print("|---" * (len(layers) + 1) + "|")
for a in j["allocators"]:
    cells = []
    for k in layers:
        v = [runs[i]["efficiency"]["layers_mean_bytes"][k] for i in a["runs"] if i in runs]
        v = [x for x in v if x is not None]
        cells.append(f"{sum(v) / len(v) / M:.2f}" if v else "unavailable")
    print(f"| {a['name']} | " + " | ".join(cells) + " |")
PY
done
echo "end: load $(cut -d' ' -f1-3 /proc/loadavg)"
