#!/bin/bash
# One night of the nightly plan on a Slurm cluster, from a login node (cron:
# "0 2 * * * /shared/soak/slurm/submit.sh"): an array job of SOAK_SHARDS shards
# (shard.sbatch, one `soakctl plan run --shard I/N` per task), then merge,
# history and gate --history (merge.sbatch) once every shard has succeeded.
# Prints the two job ids. A shard that failed or was cancelled also cancels
# that night's merge job; submit the shard again with the night's date:
#   SOAK_DATE=2026-12-07 submit.sh 3     (runs already finished are not run again)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SOAKCTL=${SOAKCTL:-/opt/soak/build/cli/soakctl}
export SOAK_PLAN=${SOAK_PLAN:-/shared/soak/nightly.ini}
export SOAK_DIR=${SOAK_DIR:-/shared/soak}        # history.db, and one folder per night
export SOAK_SHARDS=${SOAK_SHARDS:-8}
export SOAK_DATE=${SOAK_DATE:-$(date -u +%F)}   # one night, also when it runs past midnight
export SOAK_GATE_ARGS=${SOAK_GATE_ARGS:-}       # e.g. "--relative-to system --alpha 0.0125"
night=$SOAK_DIR/$SOAK_DATE
mkdir -p "$night"
shards=$(sbatch --parsable --array="${1:-1-$SOAK_SHARDS}" --output="$night/shard-%a-%A.out" "$here/shard.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${shards%%;*}" --output="$night/merge-%j.out" "$here/merge.sbatch")
echo "${shards%%;*} ${merge%%;*}"
