#!/usr/bin/env bash
# The Slurm example with Slurm's own cgroups, as HPC sites run it
# (proctrack/cgroup, task/cgroup, memory a consumable resource): the shard job
# sits in Slurm's job cgroup with the job's memory limit, and soakctl places
# its runs below it ("own": below soakctl's own cgroups), so the job's limit
# stays in force. Ground truth: the shard job gets 256 MiB (SBATCH_MEM_PER_NODE
# overrides the example's --mem=0), the plan sets no limit of its own, and a
# leak of 64 MiB/s is oom-killed at the job's 256 MiB; a tiny_hot run next to
# it ends ok; both record their memory cgroup below the job's task cgroup and
# no limit of soak's own. The night's gate fails (exit 1) on the oom-killed run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/slurm-cluster.sh"
trap 'slurm_stop; cleanup' EXIT
slurm_start_cgroup "$T/cluster"
export SOAKCTL SOAK_PLAN=$T/plan.ini SOAK_DIR=$T/soak SOAK_SHARDS=1 SOAK_DATE=2026-01-01
export SBATCH_MEM_PER_NODE=256M
cat > "$T/plan.ini" <<INI
[plan]
label = nightly-{date}
allocators = system
duration = 8s
interval = 200ms
repeats = 1
[workload.leak]
name = leak
args = --rate 64M
[workload.th]
name = tiny_hot
INI
ids=$("$SOAK_SRC/examples/slurm/submit.sh") || fail "submit.sh exited $?"
read -r ARRAY MERGE <<<"$ids"
for i in $(seq 600); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 2 minutes: $(squeue 2>&1)"
DB=$SOAK_DIR/2026-01-01/shard-1.db
[ -f "$DB" ] || fail "the shard wrote no database: $(cat "$SOAK_DIR"/2026-01-01/shard-*.out 2>/dev/null)"
q "select id, workload, status, cgroup_mode, cgroup_placement, memory_max, cgroup_paths from runs"
[ "$(q "select status from runs where workload = 'leak'")" = oom-killed ] || fail "the leak: $(q "select status, message from runs where workload = 'leak'")"
[ "$(q "select status from runs where workload = 'tiny_hot'")" = ok ] || fail "tiny_hot: $(q "select status, message from runs where workload = 'tiny_hot'")"
[ "$(q "select count(*) from runs where cgroup_placement = 'own' and memory_max is null and cgroup_paths like '%/sys/fs/cgroup/memory/slurm_%/uid_0/job_%/step_batch/task_0/soak-%'")" = 2 ] \
  || fail "the runs' cgroups are not below the job's task cgroup, or soak set a limit: $(q "select cgroup_placement, memory_max, cgroup_paths from runs")"
peak=$(q "select value from run_values v join runs r on r.id = v.run_id where r.workload = 'leak' and v.name = 'peak_rss_bytes'")
python3 -c "import sys; p = float(sys.argv[1]); sys.exit(0 if 200 * 2**20 < p <= 256 * 2**20 else 1)" "$peak" \
  || fail "the leak's peak RSS $peak is not just below the job's 256 MiB"
scontrol -o show job "$MERGE" | grep -q "ExitCode=1:0" && grep -q "did not end ok (run [0-9]* oom-killed)" "$SOAK_DIR/2026-01-01/gate.txt" \
  || fail "the merge job's gate: $(scontrol -o show job "$MERGE" | grep -o 'ExitCode=[^ ]*') $(cat "$SOAK_DIR/2026-01-01/gate.txt" 2>/dev/null)"
dirs=("${SLURM_CG_DIRS[@]}")
slurm_stop
for d in "${dirs[@]}"; do [ ! -d "$d" ] || fail "left behind: $d"; done
pass "Slurm with task/cgroup + proctrack/cgroup: runs placed below the job's cgroup, the leak oom-killed at $(python3 -c "print(round(float(\"$peak\") / 2**20, 1))") MiB by the job's 256 MiB, gate exit 1 naming it"
