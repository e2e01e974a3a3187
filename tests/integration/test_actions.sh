#!/usr/bin/env bash
# The shell steps of examples/github-actions/nightly.yml, run here as written
# (gha-steps.py reads them from the file: the 4-shard matrix, then the merge
# job; checkout, the install-and-build step, artifacts and the cache are
# stood in for by the test's build and local copies). Two workflow runs of
# one night, a plan of 4 cells (system, mimalloc, jemalloc, tcmalloc x
# tiny_hot, one repeat): each run's 4 shards write 4 databases; the merge job
# finds the history of the run before in the cache (restore-keys), merges,
# writes the history page and the step summary, and the gate passes (exit 0:
# a change needs 2 runs on each side, which one night of one run per cell
# cannot give). Ground truth: run and cell counts in the cached history.
source "$(dirname "$0")/lib.sh"
W=$T/work; S=$T/store
mkdir -p "$W/checkout/ci" "$S"
ln -s "$SOAK_BUILD" "$W/checkout/build"
cat > "$W/checkout/ci/nightly.ini" <<'INI'
[plan]
label = nightly-{date}
allocators = system mimalloc jemalloc tcmalloc
duration = 1s
warmup = 200ms
interval = 100ms
repeats = 1
[workload.th]
name = tiny_hot
INI
steps() { python3 "$(dirname "$0")/gha-steps.py" "$SOAK_SRC/examples/github-actions/nightly.yml" "$W" "$S"; }
for run in 1 2; do
  rc=0; steps > "$T/run$run" 2>&1 || rc=$?
  [ $rc = 0 ] || fail "workflow run $run exited $rc: $(tail -20 "$T/run$run")"
  H=$S/cache/soak-history-$run/history.db
  [ -f "$H" ] || fail "run $run saved no history to the cache: $(ls -R "$S/cache")"
  cells=$(sqlite3 "$H" "select group_concat(allocator_name || '=' || n, ' ') from (select allocator_name, count(*) n from runs where status = 'ok' group by 1 order by 1)")
  [ "$cells" = "jemalloc=$run mimalloc=$run system=$run tcmalloc=$run" ] || fail "run $run: the cached history holds $cells"
  grep -q "^\[shard\] \$ build/cli/soakctl plan run ci/nightly.ini --shard \"4/4\" --db \"shard-4.db\"" "$T/run$run" \
    || fail "run $run: no shard 4 step: $(grep '^\[' "$T/run$run")"
done
grep -q "cache: restored soak-history-1" "$T/run2" || fail "run 2 did not restore run 1's history"
[ -s "$S/artifacts/soak-history/history.html" ] || fail "no history page uploaded"
[ "$(grep -c "^# " "$S/summary.md")" -ge 2 ] || fail "the step summary does not hold two histories: $(head -5 "$S/summary.md")"
pass "the workflow's steps, twice: 4 shards, merged into the cached history (4, then 8 runs), page, summary, gate exit 0"
