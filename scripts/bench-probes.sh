#!/usr/bin/env bash
# bench-probes.sh - measures what docs/probes.md reports: the per-sample cost
# of every probe and of libproc2 against kept-open /proc reads, on live
# targets of several shapes, and (--overhead) the perf probe's cost to the
# worker in paired, interleaved rounds. Run as root for the cgroup and perf
# rows (as another user those rows are left out).
#
#   scripts/bench-probes.sh [--overhead] [BUILD_DIR]     (env ITERS=1000 ROUNDS=5)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
overhead=0
if [[ ${1:-} == --overhead ]]; then
	overhead=1
	shift
fi
build=${1:-$src/build-probes}

cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" --target soak-bench-probes -j2 >/dev/null
bin=$build/probes/soak-bench-probes

echo "# Probe cost: $(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ), uid $(id -u)"
if ((overhead)); then
	echo
	"$bin" --overhead --rounds "${ROUNDS:-5}"
	exit 0
fi
for cfg in "--mib 100" "--mib 1024" "--mib 100 --threads 8 --children 2" "--mib 100 --threads 64"; do
	echo
	echo "## soak-bench-probes $cfg"
	echo
	# shellcheck disable=SC2086
	"$bin" --iters "${ITERS:-1000}" $cfg
done
