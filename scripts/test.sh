#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: unit, integration and
# VM tests (pure cgroup v2 guests under QEMU, tests/vm/) in a normal build,
# then unit and integration tests again in an ASan+UBSan build, then every
# libFuzzer harness for SOAK_FUZZ_SECONDS (default 15) each. Before that, the
# builds users and packagers type must compile, warnings being errors: Release
# and Debug with GCC and with clang (unit tests run in the Release builds).
# Needs root (real cgroups, perf tracepoints). Exit code 0 only when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
status=0
for cc in gcc clang; do
  for type in Release Debug; do
    dir=build-test-$cc-$type
    echo "== $cc $type build"
    if ! CC=$cc BUILD_DIR=$dir SOAK_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=$type" scripts/build.sh; then
      echo "FAILED: the $cc $type build"
      status=1
      continue
    fi
    if [ $type = Release ] && ! ctest --test-dir "$dir" -L unit --output-on-failure --timeout 300; then
      status=1
    fi
  done
done
for variant in release asan; do
  dir=build-test-$variant
  san=0; [ $variant = asan ] && san=1
  echo "== $variant build"
  BUILD_DIR=$dir SOAK_SANITIZE=$san scripts/build.sh
  echo "== $variant tests"
  # The VM tests (label vm: pure cgroup v2 guests under QEMU, minutes each)
  # run once, in the release build; they boot the binaries, not sanitizers.
  # So does the Slurm test (label slurm, a minute and more): it tests the
  # example job scripts on a cluster, which a sanitized soakctl does not change.
  vm=(); [ $variant = asan ] && vm=(-LE 'vm|slurm')
  # detect_leaks: the runner forks workers; LeakSanitizer runs in the runner only.
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --test-dir "$dir" --output-on-failure --timeout 1500 "${vm[@]}"; then
    status=1
  fi
done
echo "== fuzzers (${SOAK_FUZZ_SECONDS:-15} s each)"
if ! FUZZ_BUILD_DIR=build-test-fuzz scripts/fuzz.sh "${SOAK_FUZZ_SECONDS:-15}"; then
  status=1
fi
exit $status
