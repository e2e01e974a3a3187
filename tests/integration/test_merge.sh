#!/usr/bin/env bash
# soakctl merge: the databases of two "hosts" into one. Ground truth is the
# inputs themselves: per run (keyed by uuid) the record, the row count and a
# checksum of every table's rows must be the same in the output; merging again
# changes no byte; a conflicting copy of a run, a newer schema and a foreign
# file are refused with one line and leave the output as it was.
source "$(dirname "$0")/lib.sh"
"$SOAKCTL" merge --help >/dev/null 2>&1 || fail "soakctl has no 'merge' command"
for i in 1 2; do
  soak run -w random_mixed -d 2s -i 200ms --warmup 500ms --label "night-$i" --db "$T/h$i.db" \
    -q --no-progress || fail "run $i exited $?"
done
soak run -w random_mixed -a mimalloc -d 2s -i 200ms --label night-1 --db "$T/h2.db" -q --no-progress \
  || fail "mimalloc run exited $?"
# Host identity recorded with every run.
[ "$(sqlite3 "$T/h1.db" "select count(*) from runs where host is not null and kernel is not null
   and cpu_cores > 0 and mem_total > 0 and host_class is not null and cgroup_mode is not null")" = 1 ] \
  || fail "a run lacks its host identity"
[ "$(sqlite3 "$T/h1.db" "select cpu_cores from runs")" = "$(nproc)" ] || fail "cpu_cores is not nproc"
# Build identity: the allocator's sha256 is the file's (sha256sum as ground truth).
read -r mpath msha < <(sqlite3 -separator ' ' "$T/h2.db" "select allocator_path, allocator_sha256 from runs where allocator_name = 'mimalloc'")
[ "$msha" = "$(sha256sum < "$mpath" | cut -d' ' -f1)" ] || fail "allocator_sha256 $msha is not sha256sum of $mpath"
# Per run (by uuid): a checksum of every table's rows, ids replaced by names.
digest() {
  sqlite3 -batch -noheader "$1" "
    select r.uuid, 'run', r.label||r.status||r.started_at||ifnull(r.ended_at,'')||r.host_class from runs r
    union all select r.uuid, 'samples', count(*)||':'||total(s.value)||':'||total(s.t)||':'||group_concat(m.name||s.t, ',')
      from runs r join samples s on s.run_id = r.id join metrics m on m.id = s.metric_id group by r.uuid
    union all select r.uuid, 'values', count(*)||':'||total(v.value)||group_concat(v.name) from runs r join run_values v on v.run_id = r.id group by r.uuid
    union all select r.uuid, 'events', count(*)||group_concat(e.kind||e.t) from runs r join events e on e.run_id = r.id group by r.uuid
    union all select r.uuid, 'hist', count(*)||':'||total(length(h.data))||group_concat(h.name||h.t) from runs r join histograms h on h.run_id = r.id group by r.uuid
    union all select r.uuid, 'unavail', count(*)||group_concat(m.name||u.reason) from runs r join run_metrics u on u.run_id = r.id join metrics m on m.id = u.metric_id group by r.uuid
    order by 1, 2"
}
{ digest "$T/h1.db"; digest "$T/h2.db"; } | sort > "$T/want"
soak merge "$T/out.db" "$T/h1.db" "$T/h2.db" 2> "$T/merge.err" || fail "merge exited $?: $(cat "$T/merge.err")"
grep -q "3 runs added" "$T/merge.err" || fail "merge summary: $(cat "$T/merge.err")"
digest "$T/out.db" | sort > "$T/got"
diff "$T/want" "$T/got" > "$T/diff" || fail "merged content differs from the inputs: $(head -5 "$T/diff")"
[ "$(wc -l < "$T/want")" -ge 12 ] || fail "digest too small to mean anything: $(cat "$T/want")"
pass "3 runs merged with identical rows ($(wc -l < "$T/want") table digests)"
# The merged database reports like the inputs.
soak report --db "$T/out.db" --label night-2 --format json > "$T/r.json" || fail "report on merged db"
soak report --db "$T/h2.db" --label night-2 --format json > "$T/r2.json"
python3 - "$T/r.json" "$T/r2.json" <<'PY' || fail "report of a merged run differs from its source"
import json, sys
a, b = (json.load(open(p))["runs"][0] for p in sys.argv[1:])
for k in ("throughput", "rss"):
    assert json.dumps(a.get(k), sort_keys=True) == json.dumps(b.get(k), sort_keys=True), k
PY
# Idempotent: again, and in another order: not a byte changes.
sum1=$(sha256sum < "$T/out.db")
soak merge "$T/out.db" "$T/h2.db" "$T/h1.db" "$T/h1.db" 2> "$T/merge.err" || fail "second merge exited $?"
grep -q "0 runs added (0 rows), 4 already there" "$T/merge.err" || fail "second merge: $(cat "$T/merge.err")"
[ "$(sha256sum < "$T/out.db")" = "$sum1" ] || fail "merging twice changed the output file"
soak merge "$T/out2.db" "$T/h2.db" "$T/h1.db" -q || fail "merge in the other order"
digest "$T/out2.db" | sort | diff - "$T/want" >/dev/null || fail "merge order changed the content"
pass "merging twice is byte-identical; order does not matter"
# A conflicting copy of a run: an error naming run and table; output unchanged.
cp "$T/h1.db" "$T/bad.db"
uuid=$(sqlite3 "$T/bad.db" "select uuid from runs")
# One stored sample value changed (samples are rows of sample_rows since schema 3).
sqlite3 "$T/bad.db" "update sample_rows set v0 = v0 + 1 where (run_id, t) = (select run_id, t from sample_rows where v0 is not null limit 1)"
rc=0; soak merge "$T/out.db" "$T/h2.db" "$T/bad.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] || fail "conflict: exit $rc, want 2"
[ "$(wc -l < "$T/err")" = 1 ] || fail "conflict: want one line, got: $(cat "$T/err")"
grep -q "$uuid" "$T/err" && grep -q "table sample_rows" "$T/err" || fail "conflict message does not name run and table: $(cat "$T/err")"
# The count is true: one changed row is one row of the input not in the
# output and one of the output not in the input, not "2 rows".
n_rows=$(sqlite3 "$T/bad.db" "select count(*) from sample_rows")
grep -q "1 of the $n_rows rows there not in the output, 1 of the output's $n_rows not there" "$T/err" \
  || fail "conflict count: $(cat "$T/err")"
# A missing row: one row of the output not in the input, none the other way.
cp "$T/h1.db" "$T/short.db"
sqlite3 "$T/short.db" "delete from sample_rows where t = (select max(t) from sample_rows)"
rc=0; soak merge "$T/out.db" "$T/short.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q "0 of the $((n_rows - 1)) rows there not in the output, 1 of the output's $n_rows not there" "$T/err" \
  || fail "conflict count (a missing row): exit $rc: $(cat "$T/err")"
[ "$(sha256sum < "$T/out.db")" = "$sum1" ] || fail "a refused merge changed the output"
ls "$T" | grep -q "merge-" && fail "a refused merge left a temporary file: $(ls "$T")"
pass "conflict refused: $(cat "$T/err")"
# All or nothing: a good new input before a bad one adds nothing.
soak run -w random_mixed -d 1s -i 200ms --db "$T/h3.db" -q --no-progress || fail "run 3"
cp "$T/h1.db" "$T/newer.db"; sqlite3 "$T/newer.db" "PRAGMA user_version = 99"
rc=0; soak merge "$T/out.db" "$T/h3.db" "$T/newer.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q "newer" "$T/err" || fail "newer schema: exit $rc: $(cat "$T/err")"
[ "$(sha256sum < "$T/out.db")" = "$sum1" ] || fail "a refused merge (newer schema) changed the output"
echo "not a database" > "$T/text.db"
rc=0; soak merge "$T/out.db" "$T/text.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "foreign file: exit $rc: $(cat "$T/err")"
rc=0; soak merge "$T/out.db" "$T/missing.db" 2> "$T/err" || rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] || fail "missing file: exit $rc: $(cat "$T/err")"
[ "$(sha256sum < "$T/out.db")" = "$sum1" ] || fail "a refused merge changed the output"
pass "newer schema, foreign and missing inputs refused with one line, output unchanged"
soak merge "$T/out.db" "$T/h3.db" -q || fail "merge of a third database"
[ "$(q_out() { sqlite3 "$T/out.db" "$1"; }; q_out "select count(*) from runs")" = 4 ] || fail "third database not added"
pass "a new database merges into an existing output"

# An input whose runs were all deleted merges into a new output: the output
# exists, a soak database with no runs (it is the merge's result, not a file
# a refused command left behind).
cp "$T/h3.db" "$T/empty.db"
sqlite3 "$T/empty.db" "PRAGMA foreign_keys = ON; DELETE FROM runs;"
soak merge "$T/new-empty.db" "$T/empty.db" -q || fail "merge of a database without runs exited $?"
[ "$(sqlite3 "$T/new-empty.db" "select count(*) from runs")" = 0 ] || fail "the empty merge's output is missing or has runs"
pass "a database without runs merges into a new, empty output"
