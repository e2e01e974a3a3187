#!/usr/bin/env bash
# bench-classic.sh [REPEAT] [DURATION] - the classic allocator patterns that
# soak shares with mimalloc-bench, under glibc (system) and mimalloc, for
# docs/performance.md "Classic patterns vs mimalloc-bench". Declares a suite of
# every such workload at its defaults (larson, xmalloc, cache_thrash,
# cache_scratch, lifo, mstress, rptest, large, pareto) in a temporary soak.ini,
# runs `soakctl compare --suite` with REPEAT runs (default 10) of DURATION
# (default 4s) per allocator and workload, interleaved in rounds, then prints
# per workload the mean op rate under each allocator (ops per second), the
# ratio mimalloc / system with its 95% bootstrap interval and the verdict, all
# from `soakctl compare --from-db --format json` over the suite's own runs
# (checked against the suite's Markdown summary), and the load before and
# after. 9 x 2 x 10 runs of 4 s: 766 s on the shared 2-CPU host (2026-12-07).
# Root, after scripts/build.sh. KEEP=DIR keeps the database and the reports
# in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-10}
D=${2:-4s}
S=$PWD/${BUILD_DIR:-build}/cli/soakctl
[ -x "$S" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (cgroups)" >&2; exit 2; }
W=$(mktemp -d /tmp/soak-classic.XXXXXX)
trap 'rm -rf "$W"' EXIT
wls=(larson xmalloc cache_thrash cache_scratch lifo mstress rptest large pareto)
{ echo "[suite.mbench]"; for w in "${wls[@]}"; do echo "$w = $w"; done; } > "$W/soak.ini"
echo "start: $(uname -n), $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$R runs of $D per allocator and workload"
t0=$(date +%s)
"$S" compare --config "$W/soak.ini" --db "$W/c.db" --suite mbench --repeat "$R" -d "$D" \
  --no-progress --output "$W/suite.md" system mimalloc > "$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
echo "end: $(date -u +%FT%TZ), $(( $(date +%s) - t0 )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -o 'under comparison [0-9a-f-]*' "$W/log" || true
# Each workload's runs, from its table's "Runs" row (system's cell, then mimalloc's).
python3 - "$W/suite.md" > "$W/runs" <<'PY'
import re, sys
wl = None
for line in open(sys.argv[1]):
    m = re.match(r"# Workload \d+ of \d+: (\S+) ", line)
    if m:
        wl = m.group(1)
    elif wl and line.startswith("| Runs |"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")][1:3]
        print(wl, *(",".join(re.findall(r"#(\d+)", c)) for c in cells))
        wl = None
PY
[ "$(wc -l < "$W/runs")" = "${#wls[@]}" ] || { echo "could not find every workload's runs in the suite's report" >&2; exit 1; }
while read -r wl sys mi; do
  "$S" compare --from-db --db "$W/c.db" --format json "$sys" "$mi" > "$W/$wl.json"
done < "$W/runs"
echo
python3 - "$W" "${wls[@]}" <<'PY'
import json, re, sys
d, wls = sys.argv[1], sys.argv[2:]
# the suite's own summary cells, to check the from-db figures against
summary = {}
for line in open(f"{d}/suite.md"):
    m = re.match(r"\| (\S+) \| .*?([0-9.]+)% \[([0-9.]+)%, ([0-9.]+)%\] \|$", line)
    if m:
        summary[m.group(1)] = tuple(m.group(i) for i in (2, 3, 4))
def rate(v):
    return "unavailable" if v is None else f"{v:,.0f}"
words = {"same": "no significant difference", "insufficient": "insufficient data", "not_applicable": "not applicable"}
print("| workload | system (ops/s) | mimalloc (ops/s) | mimalloc / system [95% interval] | verdict (U test p) | runs ok (system, mimalloc) |")
print("|---|---|---|---|---|---|")
for wl in wls:
    j = json.load(open(f"{d}/{wl}.json"))
    a = {x["name"]: x for x in j["allocators"]}
    s, m = a["system"], a["mimalloc"]
    v = m["verdicts"]["throughput"]
    if v["change"] is None or v["ci"] is None:
        ratio = f"unavailable ({v['reason']})"
    else:
        r, lo, hi = (f"{100 + x:.2f}" for x in (v["change"], *v["ci"]))
        if summary.get(wl) != (r, lo, hi):
            sys.exit(f"{wl}: from-db ratio {r}% [{lo}%, {hi}%] differs from the suite's summary {summary.get(wl)}")
        ratio = f"{r}% [{lo}%, {hi}%]"
    print(f"| {wl} | {rate(s['figures']['throughput'])} | {rate(m['figures']['throughput'])} | {ratio} "
          f"| {words.get(v['verdict'], v['verdict'])}"
          + ("" if v["p_value"] is None else " (p < 0.001)" if v["p_value"] < 0.001 else f" (p = {v['p_value']:.3f})")
          + f" | {s['ok_runs']}, {m['ok_runs']} |")
PY
grep '^| geometric mean of the ratios |' "$W/suite.md" || true
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$W"/* "$KEEP"/ && echo "kept in $KEEP"; fi
