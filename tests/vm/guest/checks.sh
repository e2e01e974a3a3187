# checks.sh - the assertions every VM guest makes, sourced by the guest's
# scenario script (busybox ash in the initramfs guest, dash in the systemd
# guest: POSIX sh only). Each check prints exactly one line on stdout:
#   VMTEST <scenario>.<check> PASS|FAIL <detail>
# which the host (tests/vm/run-guest.sh) collects from the serial console.
#
# Ground truth, not the suite's own word:
# - limits: the worker (found in /proc as soon as it exec'd; must be the pid the
#   run records) has its cgroup read from /proc/<worker>/cgroup while the
#   run is going, and memory.max, memory.swap.max and cpu.max are read from
#   that cgroup and every ancestor (the effective limit is the tightest one);
#   they must equal the options given and what the run recorded;
# - oom: a leak under --memory-max 64M must end oom-killed;
# - syscalls: sysfix makes exactly 6N mremap, mlock, munlock, madvise(FREE),
#   madvise(HUGEPAGE) and madvise(WILLNEED) calls (nothing else in its process
#   tree makes them); with strace in the guest, every base syscall is also
#   compared with `strace -f -c` of the same command;
# - psi: memory.pressure samples are stored (non-NULL) and have no reason;
# - kill9: the runner is killed with SIGKILL; its worker must die with it, and
#   the next soakctl command marks the run incomplete;
# - cleanup, after every check: no cgroup directory that was not there before
#   the check, and no soakctl, soak-worker or sysfix process (zombies aside).
#
# VM_PLACEMENT, when set: the runs.cgroup_placement the scenario must record.
# Needs: SOAKCTL, SYSFIX, W (a writable work directory), and a function
# `soak_in_place ARGS...` that ends by exec'ing soakctl with ARGS the way the
# scenario starts it (from the scenario's cgroup, namespace or unit): the
# checks call it in the background and wait with a time limit (reap).

CG=/sys/fs/cgroup
vm_result() {   # NAME PASS|FAIL DETAIL...
  n=$1; r=$2; shift 2
  echo "VMTEST $n $r $*"
}
sq() {   # DB SQL: one value (waits for the runner's write lock). Never
  # creates the file: a root-owned empty file would lock a non-root runner out.
  [ -s "$1" ] || return 1
  sqlite3 -batch -noheader -cmd '.timeout 5000' "$1" "$2"
}
jget() {   # FILE JSONPATH: one value of a JSON file (sqlite's json_extract)
  sqlite3 -batch -noheader :memory: "select json_extract(readfile('$1'), '$2')"
}
# step TEXT: progress of a check on the console with soakvm.debug=1.
VM_DEBUG=$(grep -c 'soakvm\.debug=1' /proc/cmdline)
step() { [ "$VM_DEBUG" = 0 ] || echo "VMTEST-STEP uptime $(cut -d' ' -f1 /proc/uptime)s: $*"; }
cg_snapshot() { find $CG -mindepth 1 -type d 2>/dev/null | sort; }
# Our processes still alive (a zombie is dead: PID 1 of a guest may not reap
# the orphans of a killed runner at once).
soak_procs() {   # shell builtins only: a fork costs ~0.1 s in a loaded TCG guest
  for p in /proc/[0-9]*; do
    read -r c 2>/dev/null < "$p/comm" || continue
    case "$c" in soakctl|soak-worker|sysfix) ;; *) continue ;; esac
    st=""
    while read -r k v rest; do [ "$k" = State: ] && { st=$v; break; }; done 2>/dev/null < "$p/status"
    [ -n "$st" ] && [ "$st" != Z ] && echo "${p#/proc/}:$c:$st"
  done
}
# Waits up to 15 s of guest time for the cgroups created since BEFORE (a
# file) and our processes to go away (systemd stops an empty scope
# asynchronously). Prints what is left.
leftovers() {
  end=$(awk '{ print int($1) + 15 }' /proc/uptime)
  while :; do
    new=$(cg_snapshot | awk 'NR == FNR { old[$0] = 1; next } !old[$0]' "$1" - | grep -v "${VM_CG_IGNORE:-^\$}" | tr '\n' ' ')
    procs=$(soak_procs | tr '\n' ' ')
    [ -z "$new$procs" ] && return 0
    [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ] && { echo "cgroups left: ${new:-none}; processes left: ${procs:-none}"; return 0; }
    sleep 0.5
  done
}
# run_check SCENARIO CHECK: runs check_<CHECK>, which sets `why` (empty =
# pass) and `detail`, then the cleanup check.
run_check() {
  name=$1.$2; why=""; detail=""
  cg_snapshot > "$W/before"
  t0=$(cut -d' ' -f1 /proc/uptime)
  "check_$2" || true
  step "$name: checking for leftovers"
  left=$(leftovers "$W/before")
  [ -z "$left" ] || why="${why:+$why; }$left"
  t1=$(cut -d' ' -f1 /proc/uptime)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  if [ -z "$why" ]; then vm_result "$name" PASS "${secs}s $detail"
  else vm_result "$name" FAIL "${secs}s $why${detail:+ ($detail)}"; fi
}
# Waits until run 1 of DB has a worker pid and a stored sample, or the runner
# (pid $2) is gone. Prints the worker pid.
wait_worker() {
  end=$(awk '{ print int($1) + 90 }' /proc/uptime)
  while alive "$2" && [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
    wp=$(sq "$1" "select worker_pid from runs where id=1" 2>/dev/null)
    ns=$(sq "$1" "select count(*) from samples where run_id=1" 2>/dev/null)
    [ -n "$wp" ] && [ "${ns:-0}" -gt 0 ] && { echo "$wp"; return 0; }
    sleep 0.2
  done
  return 1
}
# reap PID: waits for a background job, at most 120 s (a hung command must
# fail the check, not hang the guest): then kills it and says so, with the
# processes that are left.
reap() {
  end=$(awk '{ print int($1) + 120 }' /proc/uptime)
  while alive "$1" && [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do sleep 0.2; done
  if alive "$1"; then
    why="${why:+$why; }$(cat /proc/$1/comm) ($1) still running after 120 s, killed; processes: $(proc_list)"
    kill -9 "$1"
  fi
  wait "$1"
}
proc_list() {   # builtins only (see soak_procs)
  for p in /proc/[0-9]*; do
    read -r c 2>/dev/null < "$p/comm" || continue
    read -r cg 2>/dev/null < "$p/cgroup"
    read -r wc 2>/dev/null < "$p/wchan"
    st=""; pp=""
    while read -r k v rest; do
      case "$k" in State:) st=$v ;; PPid:) pp=$v; break ;; esac
    done 2>/dev/null < "$p/status"
    [ "$pp" = 2 ] || [ "${p#/proc/}" = 2 ] && continue   # kernel threads
    printf '%s[%s %s ppid %s %s %s] ' "$c" "${p#/proc/}" "$st" "$pp" "$wc" "${cg#0::}"
  done
}
# A process that exited but was not waited for yet is a zombie: not alive.
alive() {
  s=""
  while read -r k v rest; do [ "$k" = State: ] && { s=$v; break; }; done 2>/dev/null < "/proc/$1/status"
  [ -n "$s" ] && [ "$s" != Z ]
}
# find_worker RUNNER: the pid of the run's soak-worker process as soon as it
# has exec'd, i.e. sits in its cgroup; builtins only, so
# it is found within a fraction of a second even in a loaded guest.
find_worker() {
  end=$(awk '{ print int($1) + 120 }' /proc/uptime)
  while alive "$1" && [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
    for p in /proc/[0-9]*; do
      read -r c 2>/dev/null < "$p/comm" || continue
      [ "$c" = soak-worker ] && alive "${p#/proc/}" || continue
      # soakctl validates the workload options first with `soak-worker --check`
      # (in its own cgroup): not the worker of the run.
      # An empty command line: it exited meanwhile (a --check is short).
      case "$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)" in ""|*--check*) continue ;; esac
      echo "${p#/proc/}"; return 0
    done
    sleep 0.1
  done
  return 1
}
run_status() { sq "$1" "select status||coalesce(' '||message,'') from runs where id=1" 2>/dev/null; }
# Effective limits over the cgroup of pid $1 and its ancestors, from the
# kernel's files: "memory.max memory.swap.max cpu.max-as-percent".
effective_limits() {
  rel=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
  [ -n "$rel" ] || return 1
  d=$CG${rel%/}
  mem=max; swap=max; cpu=max
  while [ "$d" != "$CG" ] && [ -n "$d" ]; do
    v=$(cat "$d/memory.max" 2>/dev/null || echo max)
    [ "$v" != max ] && { [ "$mem" = max ] || [ "$v" -lt "$mem" ]; } && mem=$v
    v=$(cat "$d/memory.swap.max" 2>/dev/null || echo max)
    [ "$v" != max ] && { [ "$swap" = max ] || [ "$v" -lt "$swap" ]; } && swap=$v
    v=$(awk '$1 != "max" { printf "%.1f", 100 * $1 / $2 }' "$d/cpu.max" 2>/dev/null)
    [ -n "$v" ] && { [ "$cpu" = max ] || awk -v a="$v" -v b="$cpu" 'BEGIN { exit !(a < b) }'; } && cpu=$v
    d=${d%/*}
  done
  echo "$mem $swap $cpu $rel"
}

# ---- the checks ----
check_limits() {
  db=$W/limits.db; rm -f "$db"
  soak_in_place run --db "$db" -w tiny_hot -d 12s -i 250ms --memory-max 256M --swap-max 0 --cpu-max 50% \
    --no-progress -q > "$W/limits.out" 2>&1 &
  runner=$!
  step "limits: runner job $runner started"
  wp=$(find_worker $runner) || { step "no worker"; reap $runner; why="${why:+$why; }no worker started: $(head -c 300 "$W/limits.out")"; return 1; }
  step "limits: worker $wp"
  lim=$(effective_limits "$wp") || { lim="? ? ? ?"; why="the worker $wp ended before its cgroup was read"; }
  # While the run goes: PSI must be readable in the worker's cgroup.
  reap $runner; rc=$?
  step "limits: runner job ended ($rc)"
  set -- $lim
  st=$(run_status "$db")
  detail="worker cgroup $4; memory.max=$1 memory.swap.max=$2 cpu.max=$3%; $(sq "$db" "select 'mode '||coalesce(cgroup_mode,'?')||' paths '||coalesce(cgroup_paths,'?') from runs where id=1")"
  [ $rc = 0 ] && [ "$st" = ok ] || { why="exit $rc, status '$st': $(head -c 300 "$W/limits.out")"; return 1; }
  [ "$4" != / ] || { why="the worker ran in the root cgroup"; return 1; }
  [ "$1" = 268435456 ] || why="${why:+$why; }memory.max $1, expected 268435456"
  [ "$2" = 0 ] || why="${why:+$why; }memory.swap.max $2, expected 0"
  [ "$3" = 50.0 ] || why="${why:+$why; }cpu.max $3%, expected 50.0%"
  # How the cgroup was obtained (recorded in the run), when the
  # scenario knows what it must be.
  if [ -n "${VM_PLACEMENT:-}" ]; then
    pl=$(sq "$db" "select cgroup_placement from runs where id=1" 2>&1)
    [ "$pl" = "$VM_PLACEMENT" ] || why="${why:+$why; }placement recorded '$pl', expected '$VM_PLACEMENT'"
    detail="placement $pl; $detail"
  fi
  [ "$(sq "$db" "select worker_pid from runs where id=1")" = "$wp" ] || why="${why:+$why; }the run recorded worker '$(sq "$db" "select worker_pid from runs where id=1")', the guest saw soak-worker $wp"
  rec=$(sq "$db" "select memory_max||' '||swap_max||' '||printf('%.1f', cpu_max_pct) from runs where id=1")
  [ "$rec" = "$1 $2 $3" ] || why="${why:+$why; }recorded '$rec', the kernel had '$1 $2 $3'"
  # PSI: memory.pressure samples of the run's cgroup, non-NULL, no reason.
  psi=$(sq "$db" "select count(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='psi_mem_some_us'")
  reason=$(sq "$db" "select coalesce(r.reason,'') from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1 and m.name='psi_mem_some_us'")
  if [ "${psi:-0}" -gt 0 ] && [ -z "$reason" ]; then detail="$detail; psi samples $psi"
  else why="${why:+$why; }PSI: $psi samples, reason '$reason'"; fi
  [ -z "$why" ]
}
check_oom() {
  db=$W/oom.db; rm -f "$db"
  soak_in_place run --db "$db" -w leak --memory-max 64M --swap-max 0 -d 120s -i 250ms --no-progress -q \
    -- --rate 64M > "$W/oom.out" 2>&1 &
  reap $!
  st=$(run_status "$db")
  detail="status '$st'"
  case "$st" in oom-killed*) return 0 ;; esac
  why="leak under --memory-max 64M ended '$st': $(head -c 300 "$W/oom.out")"
  return 1
}
check_syscalls() {
  db=$W/sc.db; rm -f "$db"; N=3
  soak_in_place run --db "$db" -w exec -d 60s -i 100ms --no-progress -q -- "$SYSFIX" $N > "$W/sc.out" 2>&1 &
  reap $!
  st=$(run_status "$db")
  [ "$st" = ok ] || { why="status '$st': $(head -c 300 "$W/sc.out")"; return 1; }
  "$SOAKCTL" report --db "$db" --format json 1 > "$W/sc.json" 2> "$W/sc.err" || { why="report: $(cat "$W/sc.err")"; return 1; }
  if [ -n "${VM_NONROOT:-}" ]; then
    # As a user, syscall tracepoints cannot be counted (tracefs ids are
    # root's; Debian's perf_event_paranoid): NULL with a reason, never 0.
    got=$(jget "$W/sc.json" '$.runs[0].syscalls.by_name.mremap.run_count')
    reason=$(sq "$db" "select coalesce(r.reason,'') from run_metrics r join metrics m on m.id=r.metric_id where r.run_id=1 and m.name='sc_mremap'")
    n=$(sq "$db" "select count(s.value) from samples s join metrics m on m.id=s.metric_id where s.run_id=1 and m.name='sc_mremap'")
    if [ -n "$got" ] && [ "${got%.0}" = $((6 * N)) ]; then detail="non-root: mremap counted exactly ($got)"; return 0; fi
    [ -z "$got" ] && [ "$n" = 0 ] && [ -n "$reason" ] && { detail="non-root: unavailable ($reason)"; return 0; }
    why="non-root: mremap '$got' ($n samples), reason '$reason': neither exact nor unavailable with a reason"
    return 1
  fi
  for sc in mremap mlock munlock madvise_free madvise_hugepage madvise_willneed; do
    got=$(jget "$W/sc.json" "\$.runs[0].syscalls.by_name.$sc.run_count")
    [ "${got%.0}" = $((6 * N)) ] || why="${why:+$why; }$sc counted '$got', sysfix made $((6 * N))"
  done
  detail="sysfix-only calls = 6N = $((6 * N)) each"
  if command -v strace > /dev/null; then
    strace -f -c -o "$W/st.txt" -e trace=mmap,munmap,mremap,madvise,brk,mprotect,mlock,munlock "$SYSFIX" $N > /dev/null
    for sc in mmap munmap mremap madvise brk mprotect mlock munlock; do
      want=$(awk -v s="$sc" '$NF == s { c = $4 } END { print c + 0 }' "$W/st.txt")
      got=$(jget "$W/sc.json" "\$.runs[0].syscalls.by_name.$sc.run_count")
      [ "${got%.0}" = "$want" ] || why="${why:+$why; }$sc counted '$got', strace -f -c $want"
    done
    detail="$detail; all 8 base syscalls = strace -f -c"
  fi
  [ -z "$why" ]
}
check_kill9() {
  db=$W/k9.db; rm -f "$db"
  soak_in_place run --db "$db" -w tiny_hot -d 300s -i 250ms --memory-max 256M --no-progress -q > "$W/k9.out" 2>&1 &
  runner=$!
  wp=$(wait_worker "$db" $runner) || { kill -9 $runner 2>/dev/null; reap $runner; why="${why:+$why; }no worker started: $(head -c 300 "$W/k9.out")"; return 1; }
  sleep 1
  # The runner itself (the job may be su or systemd-run around it).
  rp=$(sq "$db" "select runner_pid from runs where id=1")
  [ "$(cat "/proc/$rp/comm" 2>/dev/null)" = soakctl ] || { kill -9 $runner; reap $runner; why="recorded runner pid '$rp' is not soakctl"; return 1; }
  kill -9 "$rp"; reap $runner 2>/dev/null
  i=0
  while alive "$wp" && [ $i -lt 50 ]; do   # the worker dies with its runner
    i=$((i + 1)); sleep 0.1
  done
  ! alive "$wp" || why="worker $wp outlived its runner (state $s)"
  st=$(run_status "$db")
  [ "$st" = running ] || why="${why:+$why; }status '$st' before any command ran"
  soak_in_place runs --db "$db" > "$W/k9.runs" 2>&1 &
  reap $! || why="${why:+$why; }soakctl runs failed: $(head -c 300 "$W/k9.runs")"
  st=$(run_status "$db")
  case "$st" in incomplete*) ;; *) why="${why:+$why; }after 'soakctl runs' the run is '$st'" ;; esac
  detail="status '$st'"
  [ -z "$why" ]
}
