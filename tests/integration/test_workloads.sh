#!/usr/bin/env bash
# Every built-in workload of `soakctl workloads --json` (except paging, which
# needs swap) runs ~2 s under system, mimalloc and jemalloc (and one under
# tcmalloc): status ok, allocator_observed is the allocator's own library
# (the C library for system), report JSON has a throughput > 0 and latency
# p50/p99, and samples were recorded. paging without swap is refused with
# exit 2 and a message naming scripts/swap.sh, and nothing is recorded.
source "$(dirname "$0")/lib.sh"
cd "$T" # no ./soak.ini of whoever runs the tests

# The library each built-in resolves to, as `soakctl allocators` shows it.
lib_of() { "$SOAKCTL" allocators | awk -v n="$1" '$1 == n && $2 == "ok" { print $3 }'; }
LIBC=$(readlink -f "$(ldd "$SOAK_BUILD/workloads/soak-worker" | awk '$1 ~ /^libc\.so/ { print $3 }')")
[ -f "$LIBC" ] || fail "cannot find the worker's C library (ldd said '$LIBC')"
declare -A EXPECT=([system]=$LIBC)
for a in mimalloc jemalloc tcmalloc; do
  EXPECT[$a]=$(lib_of $a)
  [ -n "${EXPECT[$a]}" ] || fail "$a does not resolve here: $("$SOAKCTL" allocators | grep "^$a ")"
done

mapfile -t WORKLOADS < <(soak workloads --json | python3 -c '
import json, sys
for w in json.load(sys.stdin)["workloads"]: print(w["name"])')
for w in random_mixed leak tiny_hot scenario remote_free fragment paging; do
  # no pipe into grep -q: under pipefail, printf killed by SIGPIPE when
  # grep has its match fails the test (it did in CI, for fragment)
  [[ $'\n'"$(printf '%s\n' "${WORKLOADS[@]}")"$'\n' == *$'\n'"$w"$'\n'* ]] \
    || fail "workload $w missing from soakctl workloads --json"
done

# Options that make a 2 s run meaningful: fragment cycles (grow 8 MiB, free,
# idle 200 ms) several times; leak stays small; replay loops a small trace
# recorded here.
soak record -o "$T/w.trace" -- python3 -c 'x = [bytes(100) for _ in range(20000)]; del x[::2]' \
  > /dev/null 2>&1 || fail "soakctl record of python3 exited $?"
opts() {
  case $1 in
    fragment) echo "--peak 8M --idle 200ms" ;;
    leak) echo "--rate 4M --chunk 64K" ;;
    replay) echo "--trace $T/w.trace --loop yes" ;;
  esac
}

ids=()
run_one() { # WORKLOAD ALLOCATOR
  local w=$1 a=$2 rc=0
  # shellcheck disable=SC2046
  soak run --db "$DB" -w "$w" -a "$a" -d 2s -i 200ms --memory-max 256M --label "wl-$w-$a" \
    --no-progress -q -- $(opts "$w") || rc=$?
  [ $rc = 0 ] || fail "$w under $a: soakctl run exited $rc"
  ids+=("$(q "select max(id) from runs")")
}
for w in "${WORKLOADS[@]}"; do
  [ "$w" = paging ] && continue
  for a in system mimalloc jemalloc; do run_one "$w" "$a"; done
done
run_one random_mixed tcmalloc

soak report --db "$DB" --format json "${ids[@]}" > "$T/r.json" || fail "report exited $?"
for id in "${ids[@]}"; do
  read -r w a st obs msg < <(q "select workload, allocator_name, status, coalesce(allocator_observed,'-'), coalesce(message,'-') from runs where id=$id" | tr '|' ' ')
  [ "$st" = ok ] || fail "$w under $a (run $id): status $st: $msg"
  [ "$obs" = "${EXPECT[$a]}" ] || fail "$w under $a (run $id): allocator_observed $obs, expected ${EXPECT[$a]}"
  n=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=$id and m.name='ops_total' and s.value is not null")
  [ "$n" -ge 5 ] || fail "$w under $a (run $id): only $n ops_total samples"
  n=$(q "select count(*) from samples s join metrics m on m.id=s.metric_id where s.run_id=$id and m.name='rss_bytes' and s.value > 0")
  [ "$n" -ge 5 ] || fail "$w under $a (run $id): only $n rss_bytes samples"
  [ "$(q "select count(*) from histograms where run_id=$id and name='latency'")" -ge 1 ] \
    || fail "$w under $a (run $id): no latency histogram stored"
done
python3 - "$T/r.json" <<'PY' || fail "report JSON lacks throughput or latency"
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
bad = []
for r in runs:
    who = f'{r["workload"]["name"]} under {r["allocator"]["name"]} (run {r["id"]})'
    tp, lat = r["throughput"], r["latency"]
    print(f'{who}: {tp["mean_ops_s"]:.4g} ops/s, p50 {lat["p50_ns"]} ns, p99 {lat["p99_ns"]} ns, '
          f'{r["samples"]} samples')
    if tp["source"] != "ops_total" or not (tp["mean_ops_s"] or 0) > 0:
        bad.append(f'{who}: throughput {tp}')
    for p in ("p50_ns", "p99_ns"):
        if lat.get(p) is None or not lat[p] > 0:
            bad.append(f'{who}: latency {p} = {lat.get(p)} ({lat.get(p + "_unavailable")})')
    if not lat["count"] or lat["p99_ns"] < lat["p50_ns"]:
        bad.append(f'{who}: latency count {lat["count"]}, p50 {lat["p50_ns"]} > p99 {lat["p99_ns"]}')
    if not r["samples"] >= 5:
        bad.append(f'{who}: {r["samples"]} samples')
assert not bad, "\n".join(bad)
PY

# large under a tight limit: its default budget is a quarter of the cgroup's
# memory limit, so a 64M run is ok (no OOM kill) and never holds more than 16 MiB.
soak run --db "$DB" -w large -d 2s -i 100ms --memory-max 64M --label wl-large-64M --no-progress -q \
  || fail "large under --memory-max 64M: soakctl run exited $?"
id=$(q "select max(id) from runs")
[ "$(q "select status from runs where id=$id")" = ok ] || fail "large under 64M: $(q "select status, message from runs where id=$id")"
top=$(q "select max(value) from samples_named where run_id=$id and metric='bytes_live'")
n=$(q "select count(*) from samples_named where run_id=$id and metric='bytes_live' and value > 0")
[ "$n" -ge 5 ] && [ "${top%.*}" -le $((16 << 20)) ] \
  || fail "large under 64M: bytes_live peaked at $top in $n samples (budget 16 MiB)"
pass "large under --memory-max 64M: ok, bytes_live peaked at $top (budget 16 MiB)"

# paging needs swap: without any it is refused before a run is recorded.
if [ "$(awk 'NR > 1' /proc/swaps | wc -l)" = 0 ]; then
  before=$(q "select count(*) from runs")
  rc=0
  soak run --db "$DB" -w paging -d 2s -i 200ms --memory-max 64M --no-progress -q 2> "$T/err" || rc=$?
  [ $rc = 2 ] || fail "paging without swap: exit $rc, expected 2 ($(cat "$T/err"))"
  grep -q "scripts/swap.sh on" "$T/err" && grep -q "scripts/swap.sh off" "$T/err" \
    || fail "paging without swap: the message does not name scripts/swap.sh on/off: $(cat "$T/err")"
  [ "$(q "select count(*) from runs")" = "$before" ] || fail "paging without swap left a run record"
  pass "paging without swap refused: $(cat "$T/err")"
else
  echo "SKIP (paging refusal): this machine has swap enabled ($(awk 'NR > 1 { print $1 }' /proc/swaps | tr '\n' ' '))"
fi
assert_no_cgroups
pass "${#ids[@]} runs: every workload under system, mimalloc, jemalloc (+ tcmalloc) ok with the right allocator, throughput, latency and samples"
