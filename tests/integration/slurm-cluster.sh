# slurm-cluster.sh - sourced by the Slurm tests (after lib.sh): a one-node
# Slurm cluster of this machine, started by the test and gone after it.
#
#   slurm_start DIR [PROCTRACK TASK]   munged, slurmctld and slurmd, everything
#                                      (key, slurm.conf, state, spool, logs,
#                                      pid files, socket) under DIR
#   slurm_start_cgroup DIR             the same with Slurm's own cgroups
#                                      (proctrack/cgroup, task/cgroup, memory a
#                                      consumable resource), see below
#   slurm_stop                         cancels every job of this cluster, stops
#                                      the three daemons by the pids they wrote,
#                                      removes the cgroups slurm_start_cgroup made
#
# No accounting database (no slurmdbd), SlurmUser root. Ports: two free TCP
# ports picked at start, never Slurm's defaults, so a real cluster on the host
# or another test's cluster is never talked to; the daemons listen on
# loopback addresses only as far as Slurm allows (the node address is
# 127.0.0.1). The client commands read $SLURM_CONF, exported here.
SLURM_DIR=
SLURM_CG_DIRS=()
SLURM_SELECT=${SLURM_SELECT:-CR_Core}
slurm_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}
slurm_start() {  # slurm_start DIR [PROCTRACK TASK]
  local d=$1 proctrack=${2:-proctrack/linuxproc} task=${3:-task/none} host mem_mib p1 p2 i
  SLURM_DIR=$d
  command -v slurmctld > /dev/null && command -v slurmd > /dev/null && command -v munged > /dev/null &&
    command -v sbatch > /dev/null || fail "Slurm is not installed (scripts/install-deps.sh --tests installs slurmctld, slurmd, slurm-client, munge)"
  mkdir -p "$d/munge" "$d/state" "$d/spool"
  chmod 0700 "$d/munge"
  head -c 1024 /dev/urandom > "$d/munge/key"; chmod 0400 "$d/munge/key"
  munged --key-file "$d/munge/key" --socket "$d/munge/sock" --pid-file "$d/munge/pid" \
    --log-file "$d/munge/log" --seed-file "$d/munge/seed" --force || fail "munged did not start: $(cat "$d/munge/log" 2>/dev/null)"
  host=$(hostname -s)
  mem_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) - 512 }' /proc/meminfo)
  p1=$(slurm_free_port); p2=$(slurm_free_port)
  while [ "$p2" = "$p1" ]; do p2=$(slurm_free_port); done
  cat > "$d/slurm.conf" <<CONF
ClusterName=soaktest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/sock
SlurmctldPort=$p1
SlurmdPort=$p2
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=$proctrack
TaskPlugin=$task
SelectType=select/cons_tres
SelectTypeParameters=$SLURM_SELECT
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=600
SchedulerParameters=sched_interval=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mib State=UNKNOWN
PartitionName=soak Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  if [ "$proctrack" = proctrack/cgroup ]; then
    printf 'CgroupPlugin=cgroup/v1\nCgroupMountpoint=/sys/fs/cgroup\nConstrainCores=yes\nConstrainRAMSpace=yes\nConstrainSwapSpace=yes\nAllowedSwapSpace=0\n' > "$d/cgroup.conf"
  fi
  export SLURM_CONF=$d/slurm.conf
  slurmctld -c -f "$SLURM_CONF" || fail "slurmctld did not start: $(tail -5 "$d/slurmctld.log" 2>/dev/null)"
  slurmd -f "$SLURM_CONF" -N "$host" || fail "slurmd did not start: $(tail -5 "$d/slurmd.log" 2>/dev/null)"
  for i in $(seq 100); do
    sinfo -h -N -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && return 0
    sleep 0.2
  done
  fail "the Slurm node is not idle after 20 s: $(sinfo -N 2>&1 | tail -2); slurmd: $(tail -3 "$d/slurmd.log")"
}
# Slurm 22.05's cgroup/v1 plugin makes its tree at the root of each v1
# hierarchy (<mount>/<controller>/slurm_<node>/uid_U/job_J/step_S/task_T) and
# moves jobs there. Our processes start in cgroups that are not ours to leave,
# so the daemons run in a cgroup and mount namespace rooted at cgroups made
# below our own in every hierarchy: Slurm's "root" is then below ours, our
# limits still apply, and nothing outside our cgroups is touched. A v1 or
# hybrid host only (on pure v2 Slurm's cgroup/v2 wants a systemd scope).
slurm_start_cgroup() {  # slurm_start_cgroup DIR
  local d=$1 name=soak-slurm-$$ line c own dir mounts=""
  [ -d /sys/fs/cgroup/memory ] || { echo "SKIP: Slurm's cgroup/v1 needs v1 cgroup hierarchies (this host has none)"; exit 77; }
  command -v unshare > /dev/null || fail "unshare (util-linux) is not installed"
  while IFS=: read -r _ c own; do
    case $c in ''|name=*) continue ;; esac
    dir=/sys/fs/cgroup/$c${own%/}/$name
    mkdir "$dir" || fail "cannot make $dir"
    SLURM_CG_DIRS+=("$dir")
    if [ "$c" = cpuset ]; then
      cat "${dir%/*}/cpuset.cpus" > "$dir/cpuset.cpus"; cat "${dir%/*}/cpuset.mems" > "$dir/cpuset.mems"
    fi
    mounts+="mkdir /sys/fs/cgroup/$c; mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c; "
  done < /proc/self/cgroup
  own=$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
  dir=/sys/fs/cgroup/unified${own%/}/$name
  mkdir "$dir" || fail "cannot make $dir"
  SLURM_CG_DIRS+=("$dir")
  mkdir -p "$d"
  # A subshell moves itself into the new cgroups, then starts the cluster in
  # new namespaces; the daemons keep them, the test's shell stays where it is.
  (
    for dir in "${SLURM_CG_DIRS[@]}"; do echo $BASHPID > "$dir/cgroup.procs"; done
    exec unshare --cgroup --mount --propagation private bash -c "set -euo pipefail
      mount -t tmpfs -o mode=755 cgroup-ns /sys/fs/cgroup
      $mounts mkdir /sys/fs/cgroup/unified; mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
      fail() { echo \"FAIL: \$*\" >&2; exit 1; }
      source '${BASH_SOURCE[0]}'
      SLURM_SELECT=CR_Core_Memory slurm_start '$d' proctrack/cgroup task/cgroup"
  ) || fail "the Slurm cluster with cgroups did not start"
  SLURM_DIR=$d
  export SLURM_CONF=$d/slurm.conf
}
# Sends SIGTERM to the pid in FILE and waits up to 10 s for it to go.
slurm_kill_pidfile() {
  local pid i
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
slurm_stop() {
  local d=$SLURM_DIR i
  [ -n "$d" ] || return 0
  if [ -s "$d/slurmctld.pid" ]; then
    # Jobs first: their slurmstepd processes outlive slurmd otherwise.
    scancel --full $(squeue -h -o %A 2>/dev/null) 2>/dev/null || true
    for i in $(seq 75); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  slurm_kill_pidfile "$d/slurmd.pid"
  slurm_kill_pidfile "$d/slurmctld.pid"
  slurm_kill_pidfile "$d/munge/pid"
  SLURM_DIR=
  for d in "${SLURM_CG_DIRS[@]}"; do   # with what Slurm made below them, deepest first
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$d" ] && echo "slurm-cluster.sh: could not remove $d" >&2
  done
  SLURM_CG_DIRS=()
  return 0
}
