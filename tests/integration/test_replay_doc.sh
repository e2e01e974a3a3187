#!/usr/bin/env bash
# test_replay_doc.sh - docs/replay.md's example, run as written there (with S
# set to the soakctl under test): the recording is complete, trace info reads
# it, and both replays end ok with a report comparing them.
source "$(dirname "$0")/lib.sh"
doc_example docs/replay.md test_replay_doc > "$T/example.sh" || fail "no test_replay_doc example in docs/replay.md"
(cd "$T" && bash -e "$T/example.sh") > "$T/example.out" 2>&1 || { cat "$T/example.out"; fail "the example failed"; }
DB=$T/replay.db
grep -q "^complete     yes" "$T/example.out" || { cat "$T/example.out"; fail "trace info: not complete"; }
grep -q "^threads      4 " "$T/example.out" || { cat "$T/example.out"; fail "trace info: not 4 threads"; }
[ "$(q 'select count(*) from runs where status = "ok" and workload = "replay"')" = 2 ] || fail "two ok replay runs"
grep -q "mimalloc #2" "$T/example.out" || fail "the report does not show the mimalloc run"
pass "docs/replay.md example: recorded, read, replayed under system and mimalloc"

# The compare line, with 1 s per run instead of 30 minutes and 2 repeats.
line=$(python3 -c '
import sys
t = open(sys.argv[1]).read(); i = t.index("<!-- test_replay_compare -->")
b = t[t.index("```sh\n", i) + 6:]; print(b[:b.index("```")].strip())' "$SOAK_SRC/docs/replay.md")
line=${line/--duration 30m/--duration 1s}
line=${line/soakctl /$SOAKCTL }
line=${line/ -- / --db cmp.db -i 250ms --repeat 2 -- }
(cd "$T" && eval "$line") > "$T/cmp.out" 2>&1 || true
DB=$T/cmp.db
[ "$(q 'select count(*) from runs where status = "ok" and workload = "replay"')" = 6 ] || { cat "$T/cmp.out"; fail "compare: six ok replay runs"; }
pass "docs/replay.md compare line: system, mimalloc, jemalloc on the trace"
