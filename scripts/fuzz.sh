#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...] - builds the libFuzzer harnesses of
# tests/fuzz with clang (build dir: $FUZZ_BUILD_DIR, default build-fuzz) and
# runs each TARGET (default: all) for SECONDS (default 60) from a copy of its
# committed seed corpus (tests/fuzz/corpus/<target>; new inputs stay in the
# build dir). Prints executions and time per target. Exit 1 when a target
# crashed, leaked, timed out or broke an invariant: the input that did it is
# in $FUZZ_BUILD_DIR/fuzz-out/<target>/ (replay: ./fuzz_<target> FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
dir=${FUZZ_BUILD_DIR:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
CC=clang cmake -S . -B "$dir" -DSOAK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzzers >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
status=0
printf '%-12s %8s %12s %10s %8s  %s\n' target seconds executions exec/s corpus result
for t in "${targets[@]}"; do
  bin=$dir/tests/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: no harness fuzz_$t" >&2; exit 2; }
  work=$dir/fuzz-corpus/$t out=$dir/fuzz-out/$t log=$dir/fuzz-out/$t.log
  mkdir -p "$work" "$out"
  rc=0
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/" "$work" "tests/fuzz/corpus/$t" > "$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(ls "$work" | wc -l)
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED (rc $rc, see $log and $out/)"
    status=1
    grep -m3 -E 'ERROR|invariant failed|runtime error' "$log" >&2 || true
  fi
  printf '%-12s %8s %12s %10s %8s  %s\n' "$t" "${took:-?}" "${execs:-?}" "${rate:-?}" "$units" "$result"
done
exit $status
