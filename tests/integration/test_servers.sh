#!/usr/bin/env bash
# The server recipe of docs/servers.md, run as written (its driver script,
# soak.ini and command) on a free loopback port, with mimalloc injected:
# - while it runs: the server has mimalloc in its maps and is the only process
#   of the run's cgroup; the driver (sh) and redis-benchmark have neither the
#   allocator in their maps nor LD_PRELOAD in their environment, and sit in
#   the test's own cgroup, not the run's;
#   (its whole process group: sh -c, the script, redis-benchmark);
# - after: the run is ok, redis's used_memory is recorded from the driver's
#   self-report (first and last, the last equal to the final [REDIS] line of
#   the driver's log), the report's live bytes at the end are that value, the
#   server's RSS samples agree with the RSS redis reported about itself (peak
#   against peak of used_memory_rss, -5% .. +25%), the driver was stopped
#   by the run, and nothing is left running (server, driver, benchmark, cgroups, snapshot files);
# - a driver that exits early (event, one line, its self-report kept), one that
#   ignores SIGTERM (killed, its group gone), and run --like repeating it;
# - compare --driver and a plan's `driver =`: every run driven, no driver with
#   the allocator;
# - bad input: --driver without exec, with --repeat, or empty: one line, exit 2.
source "$(dirname "$0")/lib.sh"
for c in redis-server redis-cli redis-benchmark; do
  command -v $c > /dev/null || fail "$c is needed (scripts/install-deps.sh --tests: redis-server, redis-tools)"
done
"$SOAKCTL" allocators 2> /dev/null | grep -q '^mimalloc *ok' || fail "mimalloc is needed (libmimalloc2.0)"
MIMALLOC=$("$SOAKCTL" allocators 2> /dev/null | awk '$1 == "mimalloc" { print $3 }')

python3 - "$SOAK_SRC/docs/servers.md" "$T" <<'PY' || fail "docs/servers.md lacks its blocks"
import re, sys
text, out = open(sys.argv[1]).read(), sys.argv[2]
def block(marker):
    i = text.index(marker)
    j = text.index("```", i)
    start = text.index("\n", j) + 1
    return text[start:text.index("```", start)]
open(out + "/drive-redis.sh", "w").write(block("<!-- servers: drive-redis.sh -->"))
open(out + "/soak.ini", "w").write(block("<!-- servers: soak.ini -->"))
open(out + "/example.sh", "w").write(block("<!-- test_servers -->"))
PY
# a free port (never the default 6379 if something holds it)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i -e "s|^S=.*|S=$SOAKCTL|" -e "s|^PORT=.*|PORT=$PORT|" "$T/example.sh"
grep -q "PORT=$PORT" "$T/example.sh" || fail "the example sets no PORT"
DB=$T/redis.db
# in its own process group, ended (SIGTERM: soakctl stops its run) if this test fails
(cd "$T" && exec setsid bash "$T/example.sh") > "$T/example.out" 2>&1 &
EX=$!
cleanup() { kill -TERM -- -"$EX" 2> /dev/null && wait "$EX" 2> /dev/null; rm -rf "$T"; }

# ---- live: who runs with what, and where ----
SRV= DRV=
for _ in $(seq 150); do
  SRV=$(redis-cli -p "$PORT" INFO server 2> /dev/null | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }' || true)
  [ -f "$DB" ] && DRV=$(q "select substr(detail, 5) from events where run_id = 1 and kind = 'driver_started'" 2> /dev/null || true)
  [ -n "$SRV" ] && [ -n "$DRV" ] && break
  sleep 0.1
done
[ -n "$SRV" ] && [ -n "$DRV" ] || { wait $EX || true; cat "$T/example.out"; fail "server ($SRV) or driver ($DRV) never seen"; }
BENCH=
for _ in $(seq 100); do
  BENCH=$(pgrep -g "$DRV" -x redis-benchmark || true)
  [ -n "$BENCH" ] && break
  sleep 0.05
done
[ -n "$BENCH" ] || fail "the driver (pid $DRV) never ran redis-benchmark"
grep -qF "$MIMALLOC" /proc/$SRV/maps || fail "the server (pid $SRV) has no $MIMALLOC in its maps"
# (the server's own environ cannot be read: redis writes its process title over it)
GROUP=$(pgrep -g "$DRV" | tr '\n' ' ')   # sh -c, sh drive-redis.sh, redis-benchmark
for p in $GROUP; do
  ! grep -q mimalloc /proc/$p/maps || fail "pid $p ($(cat /proc/$p/comm)) of the driver has mimalloc in its maps"
  grep -qz '^PATH=' /proc/$p/environ || fail "pid $p: its environment cannot be read"
  ! grep -qz '^LD_PRELOAD=' /proc/$p/environ || fail "pid $p of the driver has LD_PRELOAD"
  [ "$(cat /proc/$p/cgroup)" = "$(cat /proc/self/cgroup)" ] || fail "pid $p of the driver is not in the runner's cgroups"
done
[ "$(cat /proc/$SRV/cgroup)" != "$(cat /proc/self/cgroup)" ] || fail "the server is in the runner's cgroups"
cgdir=$(q "select json_extract(cgroup_paths, '$.memory') from runs where id = 1")
[ -n "$cgdir" ] && [ "$(cat "$cgdir/cgroup.procs" | tr '\n' ' ')" = "$SRV " ] \
  || fail "the run's memory cgroup $cgdir holds '$(cat "$cgdir/cgroup.procs" 2> /dev/null | tr '\n' ' ')', not the server $SRV alone"
pass "server $SRV: mimalloc, the run's cgroup alone; the driver's group ($GROUP) with redis-benchmark $BENCH: neither"
wait $EX || { cat "$T/example.out"; fail "the example failed"; }

# ---- after: the run and its figures ----
[ "$(q 'select status from runs where id = 1')" = ok ] || fail "run: $(q 'select status||coalesce(message,"") from runs where id = 1')"
val() { q "select value from run_values where run_id = 1 and name = '$1'"; }
last_line=$(q "select data from logs where run_id = 1 and stream = 'driver_stdout'" | grep '^\[REDIS\]' | tail -1)
first_line=$(q "select data from logs where run_id = 1 and stream = 'driver_stdout'" | grep '^\[REDIS\]' | head -1)
want_last=$(sed -n 's/.* used_memory=\([0-9]*\).*/\1/p' <<< "$last_line")
want_first=$(sed -n 's/.* used_memory=\([0-9]*\).*/\1/p' <<< "$first_line")
[ -n "$want_last" ] || fail "the driver printed no used_memory: $last_line"
[ "$(q "select cast(value as int) from run_values where run_id = 1 and name = 'selfreport.REDIS.used_memory'")" = "$want_last" ] \
  || fail "selfreport.REDIS.used_memory = $(val selfreport.REDIS.used_memory), the driver's last line says $want_last"
[ "$(q "select cast(value as int) from run_values where run_id = 1 and name = 'selfreport_first.REDIS.used_memory'")" = "$want_first" ] \
  || fail "selfreport_first.REDIS.used_memory = $(val selfreport_first.REDIS.used_memory), the first line says $want_first"
[ "$want_last" -gt $((want_first + 10 * 1024 * 1024)) ] || fail "used_memory grew from $want_first to only $want_last under load"
grep -q "(self-reported at the end, REDIS.used_memory)" "$T/example.out" || fail "the report does not show used_memory as live bytes"
# The server's RSS samples are its own (that no other process is in them is
# the live check above): their peak is at least 95% of the peak RSS redis read
# of itself (used_memory_rss over every [REDIS] line) and at most 25% above
# it: the samples, 4 a second, catch peaks the reports (one per benchmark
# round) miss, 0.2-10% above them on the runs measured here.
rss_self=$(q "select data from logs where run_id = 1 and stream = 'driver_stdout'" |
  sed -n 's/.* used_memory_rss=\([0-9]*\).*/\1/p' | sort -n | tail -1)
rss_peak=$(q "select max(value) from samples_named where run_id = 1 and metric = 'rss_bytes'")
python3 -c "import sys; s, p = map(float, sys.argv[1:]); sys.exit(0 if 0.95 * s <= p <= 1.25 * s else 1)" \
  "$rss_self" "$rss_peak" || fail "peak RSS sample $rss_peak, redis's peak used_memory_rss=$rss_self"
q "select detail from events where run_id = 1 and kind = 'driver_exit'" | grep -q "(the run's stop)" \
  || fail "the driver was not stopped by the run: $(q "select detail from events where run_id = 1 and kind = 'driver_exit'")"
[ "$(q "select json_extract(data, '$.driver') from logs where run_id = 1 and stream = 'settings'")" = "sh ./drive-redis.sh $PORT" ] \
  || fail "the run's settings do not record the driver"
for p in $SRV $GROUP; do
  ! kill -0 "$p" 2> /dev/null || fail "pid $p ($(cat /proc/$p/comm 2> /dev/null)) still runs"
done
! redis-cli -p "$PORT" ping > /dev/null 2>&1 || fail "something still answers on port $PORT"
assert_no_cgroups
[ -z "$(ls "$T" | grep -E '\.(rdb|aof)$|appendonlydir')" ] || fail "redis wrote a snapshot: $(ls "$T")"
pass "used_memory $want_first -> $want_last bytes (self-report); peak RSS sample $rss_peak vs used_memory_rss $rss_self; nothing left"
sed -n '/^## Memory (RSS/,/^Drift/p' "$T/example.out"
grep "selfreport" "$T/example.out" || true

# ---- a driver that ends early, one that ignores SIGTERM, run --like ----
DB=$T/drv.db
soak run --db "$DB" -w exec -d 2s -i 250ms --no-progress --driver 'echo "[LOAD] n=5"; exit 3' -- sleep 100 \
  2> "$T/early.err" || fail "early driver: soakctl exited $?"
grep -q "the driver exited with status 3 at .*before the run's end" "$T/early.err" || { cat "$T/early.err"; fail "no line about the early exit"; }
[ "$(q "select detail from events where run_id = 1 and kind = 'driver_exit'")" = "exited with status 3" ] || fail "early driver: no driver_exit event"
[ "$(q "select value from run_values where run_id = 1 and name = 'selfreport.LOAD.n'")" = 5.0 ] || fail "early driver: LOAD.n not recorded"
soak run --db "$DB" -w exec -d 2s -i 250ms --no-progress -q \
  --driver "trap '' TERM; while :; do sleep 0.05; done" -- sleep 100 || fail "stubborn driver: soakctl exited $?"
[ "$(q "select count(*) from events where run_id = 2 and kind = 'driver_killed'")" = 1 ] || fail "stubborn driver: no driver_killed event"
stubborn=$(q "select substr(detail, 5) from events where run_id = 2 and kind = 'driver_started'")
[ -z "$(pgrep -g "$stubborn" || true)" ] || fail "the stubborn driver's group $stubborn is still there"
soak run --db "$DB" --like 2 -d 1s --no-progress -q || fail "run --like 2 exited $?"
[ "$(q "select json_extract(data, '$.driver') from logs where run_id = 3 and stream = 'settings'")" = "trap '' TERM; while :; do sleep 0.05; done" ] \
  || fail "run --like did not repeat the driver"
pass "early driver recorded, stubborn driver killed, --like repeats the driver"

# ---- compare and plan take the driver: every run drives, no driver has the allocator ----
# (the driver appends its LD_PRELOAD to a file: one line per run, all empty)
DRV="echo \"pre=\${LD_PRELOAD-}\" >> $T/drv-env; while :; do sleep 0.05; done"
soak compare system mimalloc -w exec --driver "$DRV" --repeat 2 -d 1s -i 250ms --db "$T/cmpdrv.db" -q \
  -- sleep 100 > "$T/cmpdrv.md" || fail "compare --driver exited $?"
printf '[plan]\nlabel = drv\nallocators = system mimalloc\nduration = 1s\nrepeats = 2\n[workload.srv]\nname = exec\nargs = sleep 100\ndriver = %s\n' \
  "$DRV" > "$T/drv-plan.ini"
soak plan run "$T/drv-plan.ini" --db "$T/plandrv.db" -q > /dev/null || fail "plan with driver = exited $?"
for db in cmpdrv plandrv; do
  DB=$T/$db.db
  [ "$(q "select count(*) from runs where status = 'ok'")" = 4 ] || fail "$db: 4 ok runs"
  [ "$(q "select count(distinct run_id) from events where kind = 'driver_started'")" = 4 ] || fail "$db: a driver per run"
  [ "$(q "select count(*) from events where kind = 'driver_exit' and detail like '%(the run''s stop)'")" = 4 ] \
    || fail "$db: every driver stopped by its run"
  [ "$(q "select count(*) from logs where stream = 'settings' and json_extract(data, '$.driver') = '$(printf '%s' "$DRV" | sed "s/'/''/g")'")" = 4 ] \
    || fail "$db: the driver is not in every run's settings"
done
[ "$(grep -c '^pre=$' "$T/drv-env")" = 8 ] && [ "$(wc -l < "$T/drv-env")" = 8 ] || { cat "$T/drv-env"; fail "a driver had LD_PRELOAD"; }
DB=$T/plandrv.db
[ "$(q "select count(*) from runs where allocator_name = 'mimalloc' and allocator_observed like '%libmimalloc%'")" = 2 ] \
  || fail "plan: the commands under mimalloc were not seen running on it"
pass "compare --driver and a plan's driver = : 8 runs, each driven, no driver with the allocator"

# ---- bad input: one line, exit 2, nothing recorded ----
bad() {
  local want=$1; shift
  set +e; "$SOAKCTL" run --db "$T/bad.db" -d 1s "$@" > "$T/bad.out" 2>&1; local rc=$?; set -e
  [ $rc = 2 ] || { cat "$T/bad.out"; fail "$* exited $rc, want 2"; }
  [ "$(wc -l < "$T/bad.out")" = 1 ] && grep -q -- "$want" "$T/bad.out" || { cat "$T/bad.out"; fail "$*: not one line naming $want"; }
  [ ! -s "$T/bad.db" ] || [ "$(sqlite3 "$T/bad.db" 'select count(*) from runs')" = 0 ] || fail "$*: a run was recorded"
}
bad "applies to --workload exec only" -w tiny_hot --driver true
bad "not --repeat" -w exec --repeat --driver true -- true
bad "not empty" -w exec --driver '' -- true
pass "bad --driver input refused"
