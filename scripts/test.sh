#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit, integration and
# VM tests (pure cgroup v2 guests, tests/vm/) in a normal build, then unit and
# integration tests again in an ASan+UBSan build. Needs root (real
# cgroups, perf tracepoints). Exit code 0 only when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
status=0
for variant in release asan; do
  dir=build-test-$variant
  san=0; [ $variant = asan ] && san=1
  echo "== $variant build"
  BUILD_DIR=$dir SOAK_SANITIZE=$san scripts/build.sh
  echo "== $variant tests"
  # The VM tests (label vm: pure cgroup v2 guests under QEMU, minutes each)
  # run once, in the release build; they boot the binaries, not sanitizers.
  vm=(); [ $variant = asan ] && vm=(-LE vm)
  # detect_leaks: the runner forks workers; LeakSanitizer runs in the runner only.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --test-dir "$dir" --output-on-failure --timeout 1500 "${vm[@]}"; then
    status=1
  fi
done
exit $status
