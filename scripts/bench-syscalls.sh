#!/usr/bin/env bash
# bench-syscalls.sh - measures what docs/syscall-budget.md reports
# ("Measured, not assumed"):
#
#  cost    the throughput cost of the syscall probe (the perf probe: syscall
#          tracepoints + fault and context-switch counters) to the worker, as
#          paired ratios in one run: every round runs each workload with the
#          probe and with SOAK_PERF_DISABLE=1 (probe off), back to back, the
#          order alternating between rounds. Workloads: random_mixed (system
#          malloc, almost no syscalls), scenario vm with tcmalloc (2 MiB
#          malloc + touch + free; tcmalloc returns the pages with
#          madvise(DONTNEED), so 0.26 page faults and 5e-4 syscalls per op)
#          and a syscall-bound one: tiny_hot with the test allocator
#          libmmapk.so at K=1 (one mmap + munmap per malloc: 1 syscall/op).
#          Throughput of a run = the MEDIAN of its per-interval throughputs
#          (250 ms intervals, steady state up to the stop request): robust to
#          bursts of other load on a shared host, which a mean is not.
#  budget  the measured syscall budget (steady state, per op, by syscall, with
#          grade) of system, mimalloc, jemalloc and tcmalloc on random_mixed
#          and on the VM scenario.
#
# usage: scripts/bench-syscalls.sh [cost|budget|all] [BUILD_DIR]     (root)
#   env: ROUNDS=8 COST_DUR=6s COST_WARMUP=1s BUDGET_DUR=25s BUDGET_WARMUP=5s
#        ALLOCATORS="system mimalloc jemalloc tcmalloc" KEEP=1 (keep the dbs)
# Prints Markdown on stdout; the databases are in $OUT (printed, kept with KEEP=1).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
build=${2:-$src/build}
case $what in cost|budget|all) ;; *) echo "usage: $0 [cost|budget|all] [BUILD_DIR]" >&2; exit 2;; esac
[ "$(id -u)" = 0 ] || { echo "$0: needs root (cgroups, perf tracepoints)" >&2; exit 2; }

cmake -S "$src" -B "$build" > /dev/null
cmake --build "$build" --target soakctl soak-worker libmmapk -j2 > /dev/null
S=$build/cli/soakctl
OUT=$(mktemp -d /tmp/soak-bench-syscalls.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$OUT"' EXIT
cat > "$OUT/soak.ini" <<EOF
[allocator.mmapk1]
path = $build/tests/libmmapk.so
env = SOAK_TEST_MMAP_EVERY=1
EOF

echo "# Syscall budget measurements"
echo
echo "$(date -u +%F), $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
echo "$(. /etc/os-release && echo "$PRETTY_NAME"), suite $(git -C "$src" rev-parse --short=12 HEAD), db in $OUT"

# ---- cost ----
if [ "$what" = cost ] || [ "$what" = all ]; then
  rounds=${ROUNDS:-8} dur=${COST_DUR:-6s} wu=${COST_WARMUP:-1s}
  declare -A WL=(
    [random_mixed]="-a system -w random_mixed"
    [vm]="-a tcmalloc -w scenario -- --name vm"
    [mmapk1]="-a mmapk1 -w tiny_hot"
  )
  order="random_mixed vm mmapk1"
  for r in $(seq 1 "$rounds"); do
    for w in $order; do
      if (( r % 2 )); then modes="on off"; else modes="off on"; fi
      for m in $modes; do
        # shellcheck disable=SC2086
        if [ $m = off ]; then
          SOAK_PERF_DISABLE=1 "$S" run --db "$OUT/cost.db" --config "$OUT/soak.ini" -l "cost:$w:$m:$r" \
            -d "$dur" --warmup "$wu" -i 250ms --no-progress -q ${WL[$w]}
        else
          "$S" run --db "$OUT/cost.db" --config "$OUT/soak.ini" -l "cost:$w:$m:$r" \
            -d "$dur" --warmup "$wu" -i 250ms --no-progress -q ${WL[$w]}
        fi
      done
    done
  done
  ids=$(sqlite3 "$OUT/cost.db" "select group_concat(id, ' ') from runs")
  # shellcheck disable=SC2086
  "$S" report --db "$OUT/cost.db" --format json $ids > "$OUT/cost.json"
  echo
  echo "## Cost of the syscall probe (paired, $rounds rounds, $dur runs with $wu warm-up, order alternating; median per-interval throughput)"
  echo
  python3 - "$OUT/cost.json" "$order" "$OUT/cost.db" <<'PY'
import json, sqlite3, statistics, sys
runs = json.load(open(sys.argv[1]))["runs"]
order = sys.argv[2].split()
db = sqlite3.connect(sys.argv[3])
def median_tp(run):
    """Median per-interval throughput, steady state (warm-up end to stop request)."""
    ev = dict(db.execute("select kind, min(t) from events where run_id=? group by kind", (run,)))
    pts = db.execute("select t, value from samples s join metrics m on m.id=s.metric_id where run_id=? and "
                     "m.name='ops_total' and value is not null and t >= ? and t <= ? order by t",
                     (run, ev["warmup_end"], ev["stop_requested"])).fetchall()
    return statistics.median((v1 - v0) / (t1 - t0) for (t0, v0), (t1, v1) in zip(pts, pts[1:]))
tp, sc = {}, {}
for r in runs:
    _, w, m, k = r["label"].split(":")
    if r["status"] != "ok":
        sys.exit(f"run {r['id']} ({r['label']}) ended {r['status']}")
    tp[(w, m, int(k))] = median_tp(r["id"])
    if m == "on":
        sc[(w, int(k))] = (r["syscalls"]["total_per_op"], r["page_faults"]["minor_per_op"])
names = {"random_mixed": "random_mixed (system)", "vm": "scenario vm (tcmalloc)",
         "mmapk1": "tiny_hot + libmmapk K=1 (syscall-bound)"}
print("| workload | syscalls/op, faults/op (probe on) | round | probe on (M ops/s) | probe off (M ops/s) | on / off |")
print("|---|---:|---:|---:|---:|---:|")
summary = []
for w in order:
    ks = sorted(k for (ww, m, k) in tp if ww == w and m == "on" and (w, "off", k) in tp)
    ratios = []
    for k in ks:
        on, off = tp[(w, "on", k)], tp[(w, "off", k)]
        ratios.append(on / off)
        print(f"| {names[w]} | {sc[(w, k)][0]:.2e}, {sc[(w, k)][1]:.2e} | {k} | {on / 1e6:.3f} | {off / 1e6:.3f} | {on / off:.3f} |")
    summary.append((w, statistics.median(tp[(w, 'on', k)] for k in ks), statistics.median(tp[(w, 'off', k)] for k in ks),
                    statistics.median(ratios), min(ratios), max(ratios),
                    statistics.geometric_mean(ratios)))
print()
print("| workload | median on (M ops/s) | median off (M ops/s) | median paired ratio | geometric mean | range |")
print("|---|---:|---:|---:|---:|---:|")
for w, on, off, med, lo, hi, gm in summary:
    print(f"| {names[w]} | {on / 1e6:.3f} | {off / 1e6:.3f} | **{med:.3f}** | {gm:.3f} | {lo:.3f} - {hi:.3f} |")
PY
fi

# ---- budget ----
if [ "$what" = budget ] || [ "$what" = all ]; then
  dur=${BUDGET_DUR:-25s} wu=${BUDGET_WARMUP:-5s}
  allocs=${ALLOCATORS:-system mimalloc jemalloc tcmalloc}
  for w in random_mixed vm; do
    for a in $allocs; do
      if [ $w = vm ]; then set -- -w scenario -- --name vm; else set -- -w random_mixed; fi
      "$S" run --db "$OUT/budget.db" -l "budget:$w:$a" -a "$a" -d "$dur" --warmup "$wu" --no-progress -q "$@"
    done
  done
  ids=$(sqlite3 "$OUT/budget.db" "select group_concat(id, ' ') from runs")
  # shellcheck disable=SC2086
  "$S" report --db "$OUT/budget.db" --format json $ids > "$OUT/budget.json"
  echo
  echo "## Measured syscall budget (steady state: $dur runs, first $wu excluded)"
  echo
  python3 - "$OUT/budget.json" "$OUT/budget.db" <<'PY'
import json, sqlite3, sys
runs = json.load(open(sys.argv[1]))["runs"]
db = sqlite3.connect(sys.argv[2])
BASE = ("sc_mmap", "sc_munmap", "sc_mremap", "sc_madvise", "sc_brk", "sc_mprotect", "sc_mlock", "sc_munlock")
def at_exit(run):
    """Base syscalls counted after the stop request (the worker's exit, up to
    the final sample after the reap): part of the report's steady-state window."""
    (stop,) = db.execute("select min(t) from events where run_id=? and kind='stop_requested'", (run,)).fetchone()
    n = 0
    for m in BASE:
        q = "select value from samples s join metrics x on x.id=s.metric_id where run_id=? and x.name=? and value is not null"
        before = db.execute(q + " and t <= ? order by t desc limit 1", (run, m, stop)).fetchone()
        last = db.execute(q + " order by t desc limit 1", (run, m)).fetchone()
        n += last[0] - before[0]
    return n
cols = ["mmap", "munmap", "mremap", "madvise", "brk", "mprotect"]
def f(x):
    return "n/a" if x is None else ("0" if x == 0 else f"{x:.2e}")
print("| workload | allocator | ops (steady) | " + " | ".join(f"{c}/op" for c in cols) +
      " | total/op | grade | syscalls (count) | of which at exit | madvise split | minor faults/op | M ops/s |")
print("|---|---|---:|" + "---:|" * len(cols) + "---:|---|---:|---:|---|---:|---:|")
for r in runs:
    _, w, a = r["label"].split(":")
    s = r["syscalls"]
    if r["status"] != "ok":
        sys.exit(f"run {r['id']} ({r['label']}) ended {r['status']}")
    b = s["by_name"]
    split = ", ".join(f"{k[8:]} {b[k]['count']}" for k in
                      ("madvise_dontneed", "madvise_free", "madvise_hugepage", "madvise_willneed", "madvise_other")
                      if b[k]["count"])
    lock = b["mlock"]["count"] + b["munlock"]["count"]
    wl = "random_mixed" if w == "random_mixed" else "scenario vm"
    print(f"| {wl} | {a} | {r['throughput']['ops']:.3g} | " +
          " | ".join(f(b[c]["per_op"]) for c in cols) +
          f" | **{f(s['total_per_op'])}** | {s['grade']} | {s['total']:.0f}" + (f" (+{lock} mlock/munlock)" if lock else "") +
          f" | {at_exit(r['id']):.0f} | {split or '-'} | {f(r['page_faults']['minor_per_op'])} | {r['throughput']['mean_ops_s'] / 1e6:.3f} |")
PY
fi
[ "${KEEP:-0}" = 1 ] && echo && echo "(databases kept in $OUT)"
exit 0
