#!/usr/bin/env bash
# Every command reads its options with one parser (cli/options.c), so bad
# input gets the same kind of line from each: unknown option, missing value,
# bad or out-of-range value, naming the option and what it accepts; exit 2,
# one line, nothing written. The lines docs/install.md shows ("Option values
# and errors") are the lines these commands print, byte for byte.
source "$(dirname "$0")/lib.sh"
cd "$T"
said "soakctl: report: unknown option '--bogus' (see soakctl report --help)" report --db "$DB" --bogus
said "soakctl: report: --drift-k needs a value: K (see soakctl report --help)" report --db "$DB" --drift-k
said "soakctl: report: --drift-k 0: out of range; give a whole number from 1 to 1000000" report --db "$DB" --drift-k 0
said "soakctl: compare: --seed x: not a valid S; give a whole number from 0 to 18446744073709551615" \
  compare --db "$DB" --seed x system system
said "soakctl: --duration 1s1s: not a valid TIME; give a number with one unit each, largest first: 90s, 5m, 2h30m, 250ms (at most 365d)" \
  run --db "$DB" -d 1s1s
# The docs show exactly these lines.
awk '/Bad input gets one line naming the option/ {on=1; next} on && /^```$/ {n++; if (n == 2) exit; next} on && n == 1' \
  "$SOAK_SRC/docs/install.md" > "$T/doc-lines"
diff "$T/said-lines" "$T/doc-lines" > "$T/diff" || fail "docs/install.md's error lines differ from soakctl's: $(cat "$T/diff")"
pass "the documented error lines are what soakctl prints"

# The same kind of line from every command.
# run's options are shared with calibrate, whose lines point at run's help.
for c in report runs compare merge history plan workloads allocators help gate; do
  said "soakctl: $c: unknown option '--nosuch' (see soakctl $c --help)" $c --nosuch
done
for c in run calibrate; do
  said "soakctl: unknown option '--nosuch' (see soakctl run --help)" $c --nosuch
done
said "soakctl: history: --alpha 0.9: out of range; give a number from 1e-06 to 0.5" history --db "$DB" --alpha 0.9
said "soakctl: plan: --shard 3/2: not a valid I/N; give I/N with 1 <= I <= N <= 100000 (e.g. 2/4)" \
  plan run p.ini --shard 3/2
said "soakctl: runs: --format xml: not a valid md|json|csv; give one of: md, markdown, json, csv" runs --format xml
pass "one parser: the same lines from every command"

# Workload options are the worker's: the classic patterns refuse bad shapes
# with one line naming the option, exit 2, before a run is recorded.
said "soak-worker: xmalloc: --threads 3 is odd; give an even number (pairs of one producer and one consumer)" \
  run --db "$DB" -w xmalloc -d 1s --no-progress -q -- --threads 3
said "soak-worker: larson: --min-size 2048 is larger than --max-size 1024" \
  run --db "$DB" -w larson -d 1s --no-progress -q -- --min-size 2K --max-size 1K
said "soak-worker: lifo: --min-size 64 is larger than --max-size 8" \
  run --db "$DB" -w lifo -d 1s --no-progress -q -- --min-size 64 --max-size 8
said "soak-worker: xmalloc: --min-size 9 is larger than --max-size 8" \
  run --db "$DB" -w xmalloc -d 1s --no-progress -q -- --min-size 9 --max-size 8
said "soak-worker: cache_scratch: --size 8K: out of bounds [1, 4096]" \
  run --db "$DB" -w cache_scratch -d 1s --no-progress -q -- --size 8K
said "soak-worker: cache_thrash: --writes 0: out of bounds [1, 1000000000]" \
  run --db "$DB" -w cache_thrash -d 1s --no-progress -q -- --writes 0
said "soak-worker: larson: --life 0: out of bounds [1, 1000000000000]" \
  run --db "$DB" -w larson -d 1s --no-progress -q -- --life 0
said "soak-worker: mstress: --long-pct 60 plus --transfer-pct 50 is over 100" \
  run --db "$DB" -w mstress -d 1s --no-progress -q -- --long-pct 60 --transfer-pct 50
said "soak-worker: rptest: --min-size 100 is larger than --max-size 99" \
  run --db "$DB" -w rptest -d 1s --no-progress -q -- --min-size 100 --max-size 99
said "soak-worker: large: a budget of 102400 bytes (--max-live, or a quarter of the cgroup's memory limit) leaves each of 2 threads less than --min-size 65536; raise --max-live or --memory-max, or lower --min-size or --threads" \
  run --db "$DB" -w large -d 1s --no-progress -q -- --threads 2 --max-live 100K
pass "classic workloads: bad options refused with one line, exit 2, nothing recorded"
