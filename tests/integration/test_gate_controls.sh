#!/usr/bin/env bash
# Gate controls: a leak fails the RSS drift gate (exit 1); an OOM-killed run
# fails the status check with its own verdict (exit 1); a gate that requires a
# metric that was unavailable (syscall counts with SOAK_PERF_DISABLE=1) cannot
# be evaluated (exit 2) and names the metric; bad thresholds and unknown runs
# exit 2 without leaving output files behind.
source "$(dirname "$0")/lib.sh"
"$SOAKCTL" gate --help >/dev/null 2>&1 \
  || fail "soakctl has no 'gate' command (add it to the command table in cli/main.c)"
gate_rc() { local rc=0; soak gate --db "$DB" "$@" > "$T/out" 2> "$T/err" || rc=$?; echo $rc; }

# 1. A planted leak fails rss_drift.
soak run --db "$DB" -w leak -d 6s -i 200ms --warmup 1s --no-progress -q -- --rate 16M
leak=$(q "select max(id) from runs")
rc=$(gate_rc --latest --json "$T/leak.json")
cat "$T/out"
[ "$rc" = 1 ] || fail "gate of a leak exited $rc, expected 1: $(cat "$T/err")"
grep -q "^FAIL  system-$leak rss_drift: RSS drift +" "$T/out" || fail "no failing rss_drift line"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); \
c=[c for c in j['runs'][0]['checks'] if c['name']=='rss_drift'][0]; \
sys.exit(0 if j['schema_version']==1 and c['state']=='fail' else 1)" "$T/leak.json" \
  || fail "JSON does not show rss_drift failed"

# 2. OOM-killed: the status check fails, named as such.
soak run --db "$DB" -w leak -d 30s -i 100ms --memory-max 64M --swap-max 0 --no-progress -q -- --rate 64M
oom=$(q "select max(id) from runs")
[ "$(q "select status from runs where id=$oom")" = oom-killed ] || fail "the leak under 64M was not oom-killed"
rc=$(gate_rc "$oom" --junit "$T/oom.xml")
cat "$T/out"
[ "$rc" = 1 ] || fail "gate of an OOM-killed run exited $rc, expected 1: $(cat "$T/err")"
grep -q "^FAIL  system-$oom status: status oom-killed.*OOM-KILLED" "$T/out" || fail "no OOM-KILLED status line"
xmllint --noout --schema "$SOAK_SRC/tests/fixtures/gate/junit.xsd" "$T/oom.xml" || fail "JUnit invalid"
grep -q 'type="oom-killed"' "$T/oom.xml" || fail "JUnit failure type is not oom-killed"

# 3. A required metric that was unavailable: exit 2, the metric named.
SOAK_PERF_DISABLE=1 soak run --db "$DB" -w random_mixed -d 4s -i 200ms --warmup 1s --no-progress -q
nop=$(q "select max(id) from runs")
printf '[gate]\nrequire = syscalls_per_op\n' > "$T/req.ini"
rc=$(gate_rc "$nop" --thresholds "$T/req.ini" --junit "$T/req.xml")
cat "$T/out"
[ "$rc" = 2 ] || fail "gate requiring unavailable syscalls exited $rc, expected 2"
grep -q "^ERROR system-$nop syscalls_per_op: cannot evaluate: required metric syscalls_per_op unavailable (" "$T/out" \
  || fail "the line does not name the unavailable metric and why"
tail -n1 "$T/out" | grep -q "^ERROR: the gate cannot be evaluated" || fail "no ERROR summary line"
xmllint --noout --schema "$SOAK_SRC/tests/fixtures/gate/junit.xsd" "$T/req.xml" || fail "JUnit invalid"
# Not required: the same run's syscall check is skipped, not an error.
printf '[gate]\nrequire = none\ntp_drift_min_pct = off\ncv_max_pct = off\n' > "$T/noreq.ini"
rc=$(gate_rc "$nop" --thresholds "$T/noreq.ini")
grep -q "^SKIP  system-$nop syscalls_per_op: " "$T/out" || { cat "$T/out"; fail "syscalls_per_op not skipped"; }
[ "$rc" != 2 ] || fail "gate without require exited 2"

# 4. Cannot evaluate at all: exit 2, one line, no output file left behind.
printf '[gate]\nrss_drift_max = 5\n' > "$T/bad.ini"
rc=$(gate_rc --latest --thresholds "$T/bad.ini" --junit "$T/none.xml")
[ "$rc" = 2 ] || fail "unknown key exited $rc"
grep -q "bad.ini:2: unknown key 'rss_drift_max'" "$T/err" || fail "error does not name file, line and key: $(cat "$T/err")"
rc=$(gate_rc 99999 --junit "$T/none.xml")
[ "$rc" = 2 ] || fail "unknown run exited $rc"
[ ! -e "$T/none.xml" ] || fail "an output file was left after an error"
[ -z "$(ls -A "$T" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$T")"
assert_no_cgroups
pass "leak fails rss_drift, OOM fails status (oom-killed), unavailable required metric exits 2"
