#!/usr/bin/env bash
# test_suites.sh - docs/suites.md's examples, run as written there (the
# classic one shortened to 1 run of 0.5 s per cell), and compare --suite
# against ground truth: every cell's runs are recorded under one comparison
# id with the entry's workload and options, each summary cell is the verdict
# `compare --from-db` computes on the same runs, the geometric mean is that of
# those ratios, a workload that fails under
# one allocator shows its status, and bad suites are one line, exit 2,
# nothing written.
source "$(dirname "$0")/lib.sh"
DOC=$SOAK_SRC/docs/suites.md
# block TAG: the first fenced block after <!-- test_suites:TAG -->
block() {
  python3 - "$DOC" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
i = text.index("<!-- test_suites:%s -->" % sys.argv[2])
rest = text[text.index("```", i):]
rest = rest[rest.index("\n") + 1:]
print(rest[:rest.index("```")], end="")
PY
}
cmd() { block "$1" | sed "s|^soakctl |$SOAKCTL |"; }
export XDG_CONFIG_HOME=$T/xdg
cd "$T"

# ---- [suite.sizes] and its compare, as written ----
block ini > soak.ini
(eval "$(cmd mine)") > mine.md 2> mine.err || { cat mine.err; fail "the sizes example failed"; }
DB=$T/soak.db
cid=$(q "select distinct comparison_id from runs")
[ "$(q "select count(distinct comparison_id) from runs")" = 1 ] || fail "one comparison id"
[ "$(q "select count(*) from runs where status = 'ok'")" = 24 ] || fail "3 workloads x 2 allocators x 4 runs, all ok"
for spec in 'random_mixed|["--ws","400"]' 'random_mixed|["--ws","4000"]' 'tiny_hot|[]'; do
  for a in system mimalloc; do
    [ "$(q "select count(*) from runs where workload = '${spec%%|*}' and workload_args = '${spec#*|}' and allocator_name = '$a'")" = 4 ] \
      || fail "4 runs of ${spec} under $a"
  done
done
# Interleaved: the first round holds every cell once.
[ "$(q "select count(distinct workload || workload_args || allocator_name) from (select * from runs order by id limit 6)")" = 6 ] \
  || fail "the first 6 runs are not the 6 cells of one round"
for e in rm400 rm4000 hot; do
  grep -q "^# Workload .*: $e (" mine.md || fail "no table for $e"
done
# Each summary cell is compare's verdict on the same runs (--from-db).
for spec in 'rm400|random_mixed|["--ws","400"]' 'rm4000|random_mixed|["--ws","4000"]' 'hot|tiny_hot|[]'; do
  IFS='|' read -r e w a <<< "$spec"
  ids() { q "select group_concat(id) from runs where workload = '$w' and workload_args = '$a' and allocator_name = '$1'"; }
  soak compare --from-db --db "$DB" "$(ids system)" "$(ids mimalloc)" --format json > "$e.json"
  want=$(json_get "$e.json" '(lambda v: "%s: %.2f%% [%.2f%%, %.2f%%]" % ({"better": "**better**", "worse": "**worse**", "same": "no significant difference"}[v["verdict"]], 100 + v["change"], 100 + v["ci"][0], 100 + v["ci"][1]))(j["allocators"][1]["verdicts"]["throughput"])')
  row=$(grep "^| $e (" mine.md) || fail "no summary row for $e"
  [ "$row" = "| $e ($w) | $want |" ] || fail "summary row for $e: '$row', compare --from-db says '$want'"
done
grep -q "^| better / worse / no significant difference / no verdict | [0-9] / [0-9] / [0-9] / 0 |" mine.md \
  || fail "the tally row"
# The geometric mean row: exp(mean log ratio) of the three workloads' ratios
# as compare --from-db computes them, its interval around it.
python3 - mine.md rm400.json rm4000.json hot.json <<'PY' || fail "the geometric mean row"
import json, math, re, sys
row = [l for l in open(sys.argv[1]) if l.startswith("| geometric mean of the ratios |")]
assert len(row) == 1, row
m = re.match(r"\| geometric mean of the ratios \| ([0-9.]+)% \[([0-9.]+)%, ([0-9.]+)%\] over 3 of 3 workloads \|$", row[0].strip())
assert m, row[0]
gm, lo, hi = map(float, m.groups())
ratios = [1 + json.load(open(f))["allocators"][1]["verdicts"]["throughput"]["change"] / 100 for f in sys.argv[2:]]
want = 100 * math.exp(sum(map(math.log, ratios)) / len(ratios))
print(f"geometric mean {gm}% [{lo}%, {hi}%], from the ratios {ratios}: {want:.4f}%")
assert abs(gm - want) <= 0.0051, (gm, want)
assert lo <= gm <= hi and hi - lo > 0, (lo, gm, hi)
PY
pass "sizes suite: 24 runs under one comparison, interleaved, summary = compare --from-db on the same runs"

# ---- the classic example, 1 run of 1 s per cell ----
(eval "$(cmd classic) --repeat 1 --duration 1s -i 250ms --db classic.db") > classic.md 2> classic.err \
  || { cat classic.err; fail "the classic example failed"; }
DB=$T/classic.db
[ "$(q "select count(*) from runs where status = 'ok'")" = 10 ] || fail "classic: 10 ok runs"
for w in larson xmalloc cache_thrash cache_scratch lifo; do
  grep -q "^| $w | insufficient data: " classic.md || fail "classic: no summary row for $w"
done
grep -q "^| geometric mean of the ratios | no workload with a throughput ratio |$" classic.md \
  || fail "classic: a geometric mean without a ratio"
pass "classic suite: 5 workloads x 2 allocators, every row in the summary"

# ---- --format json: each workload's comparison is compare --from-db's on the
# same runs; the summary's geometric mean is exp(mean log ratio) of them ----
printf '[suite.two]\nrm = random_mixed --ws 400\nhot = tiny_hot\n' >> soak.ini
soak compare --suite two system mimalloc --repeat 4 -d 500ms -i 100ms --warmup 0 --db two.db -q \
  --format json --output two.json || fail "suite two --format json exited $?"
DB=$T/two.db
for w in random_mixed tiny_hot; do
  ids() { q "select group_concat(id) from runs where workload = '$w' and allocator_name = '$1'"; }
  soak compare --from-db --db "$DB" "$(ids system)" "$(ids mimalloc)" --format json > "two-$w.json"
done
python3 - two.json two-random_mixed.json two-tiny_hot.json <<'PY' || fail "suite JSON (see above)"
import json, math, sys
j = json.load(open(sys.argv[1]))
assert j["kind"] == "suite_comparison" and j["schema_version"] == 1 and j["suite"] == "two", j.keys()
assert j["baseline"] == "system" and [w["entry"] for w in j["workloads"]] == ["rm", "hot"]
assert [w["args"] for w in j["workloads"]] == ["--ws 400", ""]
ratios = []
for w, f in zip(j["workloads"], sys.argv[2:]):
    mine = w["comparison"]["allocators"][1]["verdicts"]["throughput"]
    ref = json.load(open(f))["allocators"][1]["verdicts"]["throughput"]
    assert mine["verdict"] == ref["verdict"] and mine["change"] == ref["change"] and mine["ci"] == ref["ci"], (mine, ref)
    ratios.append(1 + ref["change"] / 100)
(s,) = j["summary"]
assert s["allocator"] == "mimalloc"
cells = s["workloads"]
for c, w in zip(cells, j["workloads"]):
    v = w["comparison"]["allocators"][1]["verdicts"]["throughput"]
    assert c["entry"] == w["entry"] and c["verdict"] == v["verdict"] and c["change_pct"] == v["change"], (c, v)
    assert c["ci_pct"] == v["ci"] and c["why"] == "", c
t = s["tally"]
assert sorted(t) == ["better", "no_verdict", "same", "worse"] and sum(t.values()) == 2, t
assert t["better"] == sum(c["verdict"] == "better" for c in cells) and t["worse"] == sum(c["verdict"] == "worse" for c in cells)
g = s["geometric_mean"]
want = math.exp(sum(map(math.log, ratios)) / 2)
print(f"suite JSON: geometric mean {g['ratio']} {g['ci']} over {g['workloads']} of {g['of']}; from the ratios {ratios}: {want}")
assert abs(g["ratio"] - want) <= 1e-9 * want and g["workloads"] == 2 and g["of"] == 2, g
assert g["ci"][0] <= g["ratio"] <= g["ci"][1] and g["why"] == "", g
PY
pass "suite --format json: per workload = compare --from-db, geometric mean of their ratios"

# ---- a plan with suite = classic ----
block plan > nightly.ini
(eval "$(cmd dryrun)") > plan.out || fail "plan dry run"
for w in larson xmalloc cache_thrash cache_scratch lifo; do
  [ "$(grep -c "^| [0-9]* | [a-z]* | $w |" plan.out)" = 2 ] || { cat plan.out; fail "plan: 2 cells of $w"; }
done
grep -q "of 10 cells, 3 repeats" plan.out || fail "plan: 10 cells"
pass "plan: suite = classic expands into 10 cells"

# ---- a workload that fails under one allocator: its status, not a number ----
cat >> soak.ini <<EOF
[allocator.corrupt]
path = $SOAK_BUILD/tests/libcorrupt.so
env = SOAK_TEST_CORRUPT_AFTER=1000
[suite.fails]
rm = random_mixed
sp = spin
EOF
soak compare --suite fails system corrupt --repeat 1 -d 1s --db fails.db -q > fails.md 2> fails.err || true
grep -q "^| rm (random_mixed) | no ok run (verify-failed x1) |" fails.md || { cat fails.md fails.err; fail "rm under corrupt: status"; }
grep -q "^| sp (spin) | insufficient data: " fails.md || fail "spin under corrupt: ran ok"
grep -q "^| geometric mean of the ratios | no workload with a throughput ratio |$" fails.md \
  || fail "fails: a geometric mean without a ratio"
soak compare --suite fails system corrupt --repeat 1 -d 1s --db fails2.db -q --format json > fails.json 2> fails.err || true
python3 - fails.json <<'PY' || { cat fails.err; fail "fails: the JSON summary"; }
import json, sys
(s,) = json.load(open(sys.argv[1]))["summary"]
rm, sp = s["workloads"]
assert rm["entry"] == "rm" and rm["change_pct"] is None and rm["ci_pct"] is None, rm
assert rm["why"] == "no ok run" and rm["status"] == "verify-failed x1", rm
assert sp["entry"] == "sp" and sp["change_pct"] is None and sp["verdict"] == "insufficient", sp
g = s["geometric_mean"]
assert g["ratio"] is None and g["ci"] is None and g["workloads"] == 0 and g["why"] == "no workload with a throughput ratio", g
PY
pass "a workload failing under one allocator shows its status in the summary"

# ---- bad input: one line, exit 2, nothing written ----
bad() {  # bad WHAT WANT ARGS...: exit 2, one line on stderr containing WANT, no database
  local what=$1 want=$2 rc=0
  shift 2
  soak "$@" --db bad.db > bad.out 2> bad.err || rc=$?
  [ "$rc" = 2 ] || fail "$what: exit $rc"
  [ "$(wc -l < bad.err)" = 1 ] || { cat bad.err; fail "$what: not one line"; }
  grep -qF -- "$want" bad.err || { cat bad.err; fail "$what: '$want' missing"; }
  [ ! -e bad.db ] || fail "$what: a database was written"
}
rc=0
(eval "$(cmd bad)") > bad.out 2> bad.err || rc=$?
[ "$rc" = 2 ] || fail "unknown suite: exit $rc"
want=$(sed -n '/<!-- test_suites:bad -->/,$p' "$DOC" | grep '^soakctl: ')
[ "$(cat bad.err)" = "$want" ] || { cat bad.err; fail "unknown suite: not the line docs/suites.md shows"; }
printf '[suite.empty]\n[suite.noopt]\nrm = random_mixed --nosuch 1\n[suite.first]\nrm = --ws 4\n' > badsuites.ini
bad "empty suite" "[suite.empty] has no entries" compare --suite empty --config badsuites.ini system mimalloc
bad "bad option" "random_mixed: unknown option --nosuch" compare --suite noopt --config badsuites.ini system mimalloc
bad "option first" "badsuites.ini:5: entry rm starts with an option" compare --suite first --config badsuites.ini system mimalloc
bad "with -w" "--suite does not go with -w/--workload" compare --suite classic system mimalloc -w lifo
bad "with --" "--suite does not go with workload options" compare --suite classic system mimalloc -- --threads 1
bad "with csv" "--suite does not go with --format other than md or json" compare --suite classic system mimalloc --format csv
bad "until-decided" "--suite does not go with --until-decided" compare --suite classic system mimalloc --until-decided
bad "one allocator" "name at least two allocators" compare --suite classic system
pass "bad suites: one line, exit 2, nothing written"
assert_no_cgroups
