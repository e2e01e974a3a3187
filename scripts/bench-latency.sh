#!/usr/bin/env bash
# Paired soakctl-level throughput ratios: the cost of latency timing
# (--latency-sample N) and the allocators' ratio, measured with real
# `soakctl run`s interleaved in one loop, so the shared machine's load hits
# every variant alike. Each round runs every (allocator, N) pair once, in
# alternating order (forward, then backward) to cancel slow drifts; a ratio is
# the median (and range) of the per-round ratios. Throughput is the report's
# mean per-interval ops/s over the steady state (`soakctl report --format
# json`: throughput.mean_ops_s), and ops per CPU-second (throughput.ops /
# (cpu.user_s + cpu.sys_s)), which is steadier when other jobs steal the CPU.
#
# usage: scripts/bench-latency.sh [-r ROUNDS] [-d DURATION] [-a "ALLOCATORS"]
#                                 [-n "SAMPLE-NS"] [-w WORKLOAD] [-b BUILD-DIR]
#                                 [-k DB] [-- WORKLOAD-OPTIONS]
#   defaults: -r 5 -d 4s -a "system mimalloc" -n "0 1 256" -w random_mixed -b build
#   timing cost:          scripts/bench-latency.sh -r 6 -d 4s -n "0 1 256"
#   mimalloc/system:      scripts/bench-latency.sh -r 3 -d 10s -n 256
# Every run has a 1 s warm-up (excluded) and a 250 ms interval. Root (cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 dur=4s allocs="system mimalloc" ns="0 1 256" wl=random_mixed build=build db=
while [ $# -gt 0 ]; do
  case $1 in
    -r) rounds=$2; shift 2 ;;
    -d) dur=$2; shift 2 ;;
    -a) allocs=$2; shift 2 ;;
    -n) ns=$2; shift 2 ;;
    -w) wl=$2; shift 2 ;;
    -b) build=$2; shift 2 ;;
    -k) db=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-latency.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
S=$build/cli/soakctl
[ -x "$S" ] || { echo "bench-latency.sh: $S not found: build first (scripts/build.sh) or pass -b DIR" >&2; exit 2; }
tmp=$(mktemp -d /tmp/soak-bench-latency.XXXXXX); trap 'rm -rf "$tmp"' EXIT
db=${db:-$tmp/bench.db}

pairs=()
for a in $allocs; do for n in $ns; do pairs+=("$a/$n"); done; done
echo "# $wl, $rounds rounds x ${#pairs[@]} runs of $dur (warm-up 1s), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  order=("${pairs[@]}")
  if [ $((r % 2)) = 0 ]; then # backward on even rounds
    order=(); for ((i = ${#pairs[@]} - 1; i >= 0; i--)); do order+=("${pairs[i]}"); done
  fi
  for p in "${order[@]}"; do
    a=${p%/*} n=${p#*/}
    "$S" run --db "$db" -w "$wl" -a "$a" --latency-sample "$n" -d "$dur" -i 250ms --warmup 1s \
      --label "bench:$a:$n:$r" --no-progress -q -- "$@"
  done
done
ids=$(sqlite3 -batch -noheader "$db" "select id from runs where label like 'bench:%' order by id" | tr '\n' ' ')
# shellcheck disable=SC2086
"$S" report --db "$db" --format json $ids > "$tmp/r.json"
python3 - "$tmp/r.json" "$allocs" "$ns" <<'PY'
import json, statistics as st, sys
runs = json.load(open(sys.argv[1]))["runs"]
allocs, ns = sys.argv[2].split(), sys.argv[3].split()
tp, cpu = {}, {}   # (alloc, n, round) -> value
for r in runs:
    _, a, n, rnd = r["label"].split(":")
    if r["status"] != "ok":
        sys.exit(f"run {r['id']} ({a} N={n} round {rnd}) ended {r['status']}: {r['message']}")
    t = r["throughput"]
    tp[a, n, rnd] = t["mean_ops_s"]
    cs = (r["cpu"]["user_s"] or 0) + (r["cpu"]["sys_s"] or 0)
    cpu[a, n, rnd] = t["ops"] / cs if cs else float("nan")
rounds = sorted({k[2] for k in tp}, key=int)

def ratios(d, num, den):
    return [d[num + (x,)] / d[den + (x,)] for x in rounds]

def fmt(v):
    return f"{st.median(v):.3f}x ({min(v):.3f}..{max(v):.3f})"

for name, d in (("mean ops/s (report throughput.mean_ops_s)", tp), ("ops per CPU-second", cpu)):
    print(f"\n## {name}: median over {len(rounds)} rounds, M; ratios: median (min..max) of per-round ratios")
    head = "| allocator | " + " | ".join(f"N={n}" for n in ns)
    if len(ns) > 1:
        head += " | " + " | ".join(f"N={n} / N={ns[0]}" for n in ns[1:])
    print(head + " |")
    print("|" + " --- |" * (1 + len(ns) + max(len(ns) - 1, 0)))
    for a in allocs:
        row = [f"{st.median([d[a, n, x] for x in rounds]) / 1e6:.2f}" for n in ns]
        row += [fmt(ratios(d, (a, n), (a, ns[0]))) for n in ns[1:]]
        print(f"| {a} | " + " | ".join(row) + " |")
    for a in allocs[1:]:
        print(f"{a}/{allocs[0]}: " + ", ".join(f"N={n} {fmt(ratios(d, (a, n), (allocs[0], n)))}" for n in ns))
PY
