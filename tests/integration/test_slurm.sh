#!/usr/bin/env bash
# The Slurm example of docs/nightly.md (examples/slurm/: submit.sh, the
# shard array job, the dependent merge/history/gate job), run as written on a
# one-node Slurm cluster this test starts (slurm-cluster.sh) and stops.
# A plan of 6 cells (system, slow, mimalloc x random_mixed, tiny_hot), 3
# repeats, 3 shards, 3 nights:
# - night 1: shard 2 is cancelled (scancel of its array task) after it
#   finished a run and while it runs another; the merge job dies with its
#   dependency; submit.sh 2 runs the task again: the finished runs are kept and
#   not run again, the stopped run is recorded `interrupted` and its repeat is
#   run again; the night's gate passes with a note naming that run (it ran
#   again to the end in the same night);
# - night 2: unchanged;
# - night 3: "slow" (glibc behind the LD_PRELOAD delay shim) waits 300 ns per
#   malloc: the night's merge job exits 1 (the gate's code), the gate names
#   slow in night 3, and history measures its throughput fall.
# Every night: each cell ran its repeats in exactly one shard (none twice,
# none lost); the history database holds every run of every shard with the
# host identity the shard recorded.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/slurm-cluster.sh"
trap 'slurm_stop; cleanup' EXIT
LIB=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$LIB" ] || fail "$LIB was not built"
EX=$SOAK_SRC/examples/slurm
REPEATS=3
slurm_start "$T/cluster"
export SOAKCTL SOAK_PLAN=$T/plan.ini SOAK_DIR=$T/soak SOAK_SHARDS=3
# The plan's allocators run in different shards, so at different times: the
# ratio to system's median of the same night cancels the host's drift (as in
# test_nightly.sh); four metrics at alpha 0.0125 (Bonferroni).
export SOAK_GATE_ARGS="--relative-to system --alpha 0.0125 --metric throughput,throughput_per_cpu_s,latency_p99,latency_p999"
plan() {  # plan DELAY_NS
  printf '[allocator.slow]\npath = %s\nenv = SOAK_TEST_MALLOC_DELAY_NS=%s\n' "$LIB" "$1" > "$T/soak.ini"
  cat > "$T/plan.ini" <<INI
[plan]
label = nightly-{date}
allocators = system slow mimalloc
config = $T/soak.ini
duration = 1s
warmup = 200ms
interval = 100ms
repeats = $REPEATS
[workload.rm]
name = random_mixed
args = --ws 400
[workload.th]
name = tiny_hot
INI
}
# job_field ID FIELD: a field of `scontrol show job` (an array task: A_I).
job_field() { scontrol -o show job "$1" | head -1 | grep -o " $2=[^ ]*" | cut -d= -f2-; }
# wait_gone ID: until no task of job ID is pending or running (2 minutes).
wait_gone() {
  local i
  for i in $(seq 600); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  fail "job $1 still queued after 2 minutes: $(squeue -j "$1" 2>&1); slurmctld: $(tail -5 "$T/cluster/slurmctld.log")"
}
# night K: submits night K (examples/slurm/submit.sh [TASKS]); sets ARRAY MERGE.
night() {
  local ids; ids=$(SOAK_DATE=$(printf '2026-01-%02d' "$1") "$EX/submit.sh" ${2:+"$2"}) || fail "submit.sh exited $?"
  read -r ARRAY MERGE <<<"$ids"
  [ -n "$MERGE" ] || fail "submit.sh printed '$ids', not two job ids"
}
q1() { sqlite3 -batch -noheader -cmd ".timeout 2000" "$@"; }

# Night 1, with shard 2 cancelled in the middle and submitted again.
plan 0
night 1
D1=$SOAK_DIR/2026-01-01
for i in $(seq 600); do
  [ -e "$D1/shard-2.db" ] && [ "$(q1 "$D1/shard-2.db" "select count(*) from runs where status = 'ok'")" -ge 1 ] &&
    [ "$(q1 "$D1/shard-2.db" "select count(*) from runs where status = 'running'")" = 1 ] && break
  [ "$i" = 600 ] && fail "shard 2 did not reach its second run: $(squeue 2>&1)"
  sleep 0.2
done
scancel "${ARRAY}_2"
wait_gone "${ARRAY}_2"
[ "$(job_field "${ARRAY}_2" JobState)" = CANCELLED ] || fail "array task 2: $(job_field "${ARRAY}_2" JobState), want CANCELLED"
before=$(q1 "$D1/shard-2.db" "select group_concat(uuid || ' ' || started_at, ',') from (select * from runs where status = 'ok' order by uuid)")
cancelled=$(q1 "$D1/shard-2.db" "select id || ' ' || allocator_name || ' ' || workload || ' ' || status from runs where status != 'ok'")
[ "$(wc -l <<<"$cancelled")" = 1 ] && [ "${cancelled##* }" = interrupted ] || fail "after scancel, shard 2 holds: $cancelled (want one run interrupted)"
nbefore=$(q1 "$D1/shard-2.db" "select count(*) from runs where status = 'ok'")
wait_gone "$MERGE"
[ "$(job_field "$MERGE" JobState)" = CANCELLED ] || fail "merge job after a cancelled shard: $(job_field "$MERGE" JobState), want CANCELLED"
FIRST_ARRAY=$ARRAY
night 1 2
wait_gone "$ARRAY"; wait_gone "$MERGE"
for i in 1 3; do
  [ "$(job_field "${FIRST_ARRAY}_$i" JobState)" = COMPLETED ] || fail "first array's task $i: $(job_field "${FIRST_ARRAY}_$i" JobState)"
done
after=$(q1 "$D1/shard-2.db" "select group_concat(uuid || ' ' || started_at, ',') from (select * from runs where status = 'ok' and uuid in (select uuid from runs where started_at <= (select started_at from runs where status = 'interrupted')) order by uuid)")
[ "$after" = "$before" ] || fail "runs finished before the scancel changed: before $before, after $after"
set -- $cancelled
[ "$(q1 "$D1/shard-2.db" "select count(*) from runs where allocator_name = '$2' and workload = '$3' and status = 'ok'")" = $REPEATS ] \
  || fail "the interrupted cell ($2 $3) has $(q1 "$D1/shard-2.db" "select count(*) from runs where allocator_name = '$2' and workload = '$3' and status = 'ok'") ok runs, want $REPEATS"
[ "$(q1 "$D1/shard-2.db" "select count(*) from runs where started_at > (select started_at from runs where status = 'interrupted')")" = $((2 * REPEATS - nbefore)) ] \
  || fail "the resubmitted task ran $(q1 "$D1/shard-2.db" "select count(*) from runs where started_at > (select started_at from runs where status = 'interrupted')") runs, want $((2 * REPEATS - nbefore)) (the missing ones only)"
# The stopped run was run again to the end in the same night: the night is
# whole, and the gate says so in a note instead of failing it.
[ "$(job_field "$MERGE" ExitCode)" = 0:0 ] && grep -q "^note $2 $3 .*: 1 run interrupted and run again after (run [0-9]* interrupted)" "$D1/gate.txt" \
  || fail "night 1's gate (an interrupted run, run again): exit $(job_field "$MERGE" ExitCode): $(cat "$D1/gate.txt" 2>/dev/null)"
pass "scancel of shard 2 after $nbefore finished runs: merge job cancelled; submitted again, $((2 * REPEATS - nbefore)) runs made, none of the finished ones again, the stopped one kept as interrupted; gate: $(grep -m1 '^note' "$D1/gate.txt" | sed 's/^ *//')"

# Night 2 unchanged; night 3 with the planted slowdown.
night 2; wait_gone "$ARRAY"; wait_gone "$MERGE"
echo "night 2 (unchanged): merge job $(job_field "$MERGE" JobState), gate exit $(job_field "$MERGE" ExitCode): $(tail -1 "$SOAK_DIR/2026-01-02/gate.txt")"
plan 300
night 3; wait_gone "$ARRAY"; wait_gone "$MERGE"
D3=$SOAK_DIR/2026-01-03
cat "$D3/gate.txt"
[ "$(job_field "$MERGE" JobState)" = FAILED ] && [ "$(job_field "$MERGE" ExitCode)" = 1:0 ] \
  || fail "night 3's merge job: $(job_field "$MERGE" JobState) exit $(job_field "$MERGE" ExitCode), want FAILED 1:0 (the gate's 1)"
grep "^FAIL slow " "$D3/gate.txt" | grep -q "regression .* at night nightly-2026-01-03" || fail "the gate does not name slow at night 3"
[ -s "$D3/history.html" ] || fail "the merge job wrote no history page"

# Cells and runs, every night: each cell's repeats in exactly one shard, every
# run of every shard in the history with the shard's host identity.
for k in 1 2 3; do
  d=$SOAK_DIR/2026-01-0$k
  python3 - "$SOAK_DIR/history.db" "nightly-2026-01-0$k" $REPEATS "$(uname -n)" "$(nproc)" "$d"/shard-*.db <<'PY' || fail "night $k: cells or history wrong"
import sqlite3, sys
hist, label, repeats, host, cores, shards = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6:]
assert len(shards) == 3, shards
ident = "host, cpu_model, cpu_cores, mem_total, kernel, cgroup_mode, host_class, label, status, started_at"
cells, runs = {}, {}
for s in shards:
    db = sqlite3.connect(s)
    for a, w, n in db.execute("select allocator_name, workload, count(*) from runs where status = 'ok' group by 1, 2"):
        assert (a, w) not in cells, f"cell {a} {w} in {cells[(a, w)]} and {s}"
        assert n == repeats, f"{s}: {a} {w} ran {n} times, want {repeats}"
        cells[(a, w)] = s
    for row in db.execute(f"select uuid, {ident} from runs"):
        runs[row[0]] = row[1:]
want = {(a, w) for a in ("system", "slow", "mimalloc") for w in ("random_mixed", "tiny_hot")}
assert set(cells) == want, f"cells run: {sorted(cells)}"
h = sqlite3.connect(hist)
got = {row[0]: row[1:] for row in h.execute(f"select uuid, {ident} from runs where label = ?", (label,))}
assert got == runs, f"history has {len(got)} runs of {label}, the shards {len(runs)}; differ: {set(got) ^ set(runs)}"
for r in runs.values():
    assert r[0] == host and r[2] == cores and r[7] == label, r
print(f"{label}: 6 cells in 3 shards, {len(runs)} runs, all in the history with their host identity")
PY
done

soak history --db "$SOAK_DIR/history.db" $SOAK_GATE_ARGS --format json --output "$T/h.json" || fail "history json"
python3 - "$T/h.json" <<'PY' || fail "history does not show slow's planted slowdown"
import json, sys
h = json.load(open(sys.argv[1]))
found = []
for s in h["series"]:
    if s["allocator"] != "slow":
        continue
    for c in s["change_points"]:
        if c["newest_night"] and c["metric"] in ("throughput", "throughput_per_cpu_s"):
            assert c["night"] == "nightly-2026-01-03" and c["direction"] == "regression", c
            found.append(c["change_pct"])
            print(f'slow {s["workload"]} {c["metric"]}: {c["change_pct"]:+.1f}% at {c["night"]} (p {c["p"]:.4f})')
# 300 ns on every malloc: random_mixed and tiny_hot take tens of ns per op.
assert found and all(p < -25 for p in found), found
PY
pass "Slurm: 3 nights of 3 shards merged by the dependent job; the planted slowdown fails night 3's gate (exit 1) naming slow"
