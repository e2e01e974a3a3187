#!/usr/bin/env bash
# Runner CPU per 10 ms sample, two builds side by side (docs/performance.md):
# rounds of the same soak (random_mixed, DURATION) with build A and build B,
# in ABBA order so that a drift of the host hits both alike. Per run, the
# marginal cost of a sample, set-up excluded: the 10 ms run's runner.cpu_s
# minus a 1 s run's of the same duration, over the difference in samples (as
# scripts/bench-runner.sh). Prints each round, then the paired difference B - A
# and the ratio B / A with a 95% t-interval over the rounds, and the host's
# floor (soak-bench-wake) before and after.
# usage: scripts/bench-runner-ab.sh BUILD_A BUILD_B [ROUNDS (default 4)] [DURATION (default 20s)]   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BUILD_A BUILD_B [ROUNDS] [DURATION]" >&2; exit 2; }
A=$1 B=$2 rounds=${3:-4} dur=${4:-20s}
for b in "$A" "$B"; do
  [ -x "$b/cli/soakctl" ] || { echo "bench-runner-ab: $b/cli/soakctl not found: give two build directories" >&2; exit 2; }
done
case $rounds in ''|*[!0-9]*) echo "bench-runner-ab: ROUNDS must be a number >= 2" >&2; exit 2;; esac
[ "$rounds" -ge 2 ] || { echo "bench-runner-ab: ROUNDS must be a number >= 2" >&2; exit 2; }
tmp=$(mktemp -d /tmp/soak-bench-ab.XXXXXX); trap 'rm -rf "$tmp"' EXIT
floor() { [ -x "$1/probes/soak-bench-wake" ] && "$1/probes/soak-bench-wake" 10 300 | head -1 || true; }
echo "floor before: $(floor "$B")"
one() { # BUILD TAG: a 10 ms and a 1 s run, prints the marginal µs per sample
  local db
  for iv in 10ms 1s; do
    db=$tmp/$2-$iv.db
    "$1/cli/soakctl" run --db "$db" -w random_mixed -d "$dur" -i "$iv" --no-progress -q
  done
  python3 - "$tmp/$2-10ms.db" "$tmp/$2-1s.db" <<'PY'
import sqlite3, sys
v = [dict(sqlite3.connect(f).execute("select name, value from run_values")) for f in sys.argv[1:]]
print((v[0]["runner.cpu_s"] - v[1]["runner.cpu_s"]) / (v[0]["runner.samples"] - v[1]["runner.samples"]) * 1e6)
PY
}
: > "$tmp/pairs"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then a=$(one "$A" a$r); b=$(one "$B" b$r); else b=$(one "$B" b$r); a=$(one "$A" a$r); fi
  printf 'round %d: A %.1f µs, B %.1f µs per sample\n' "$r" "$a" "$b"
  echo "$a $b" >> "$tmp/pairs"
done
echo "floor after: $(floor "$B")"
python3 - "$tmp/pairs" <<'PY'
import math, statistics as st, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
n = len(pairs)
# two-sided 95% t quantiles for n-1 degrees of freedom
t = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}.get(n - 1, 2.0)
def ci(xs):
    m = st.mean(xs)
    h = t * st.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else float("nan")
    return m, h
ma, ha = ci([a for a, _ in pairs]); mb, hb = ci([b for _, b in pairs])
md, hd = ci([b - a for a, b in pairs]); mr, hr = ci([b / a for a, b in pairs])
print(f"A: {ma:.1f} ± {ha:.1f} µs per 10 ms sample; B: {mb:.1f} ± {hb:.1f} µs ({n} rounds, 95% t-intervals)")
print(f"B - A: {md:+.1f} ± {hd:.1f} µs per sample; B / A: {mr:.3f} ± {hr:.3f}")
PY
