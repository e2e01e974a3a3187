#!/usr/bin/env bash
# Declared self-report formats, so a program's own counters can be checked
# against what was measured: a [selfreport.TAG] section in soak.ini maps a
# tag's keys to syscall classes, and every declared class is set beside the
# measured count of the same class, whole run and steady state, with
# agree/disagree. Ground truth: libmmapk.so makes exactly one mmap + munmap
# pair per K allocations and prints pairs=P at exit, so "mmap = pairs" is an
# honest declaration (the measured mmaps are P plus the loader's few dozen)
# and "mmap = allocs" a false one (K times too many). Also: a bad declaration
# is one line and exit 2 with no run recorded; JSON, CSV and Markdown carry
# the classes and counters (Markdown: non-zero only, natural order).
source "$(dirname "$0")/lib.sh"
cd "$T"
LIB=$SOAK_BUILD/tests/libmmapk.so
K=64
cat > "$T/soak.ini" <<INI
[allocator.mmapk]
path = $LIB
env = SOAK_TEST_MMAP_EVERY=$K

[selfreport.MMAPK]
mmap = pairs
munmap = pairs
INI
cat > "$T/false.ini" <<INI
[allocator.mmapk]
path = $LIB
env = SOAK_TEST_MMAP_EVERY=$K

[selfreport.MMAPK]
mmap = allocs
INI
run() { soak run --db "$DB" -w tiny_hot -d 3s --warmup 1s -i 250ms --no-progress -q -a mmapk "$@"; }
run --config "$T/soak.ini" || fail "honest run exited $?"
run --config "$T/false.ini" || fail "false run exited $?"
soak report --db "$DB" --format json 1 2 > "$T/r.json" || fail "report exited $?"
python3 - "$T/r.json" <<'PY' || fail "declared classes (see above)"
import json, sys
j = json.load(open(sys.argv[1]))
honest, false = j["runs"]
def cls(run, c):
    m = [x for x in run["selfreport_classes"] if x["tag"] == "MMAPK" and x["class"] == c]
    assert len(m) == 1, (c, run["selfreport_classes"])
    return m[0]
pairs = honest["selfreport"]["MMAPK.pairs"]
for c in ("mmap", "munmap"):
    x = cls(honest, c)
    sc = honest["syscalls"]["by_name"][c]
    print(f"honest {c}: self {x['self']:.0f} (pairs {pairs:.0f}) measured {x['measured']:.0f} "
          f"disagree {x['disagree']}; steady measured {x['measured_steady']} = {sc['count']}")
    assert x["declared"] == "pairs" and x["self"] == pairs and pairs > 1000
    assert x["measured"] == sc["run_count"] and x["measured_steady"] == sc["count"]
    assert x["disagree"] is False
    assert x["self_steady"] is None and "at exit" in x["self_steady_unavailable"]
x = cls(false, "mmap")
print(f"false mmap = allocs: self {x['self']:.0f} measured {x['measured']:.0f} disagree {x['disagree']}")
assert x["declared"] == "allocs" and x["self"] == false["selfreport"]["MMAPK.allocs"] and x["disagree"] is True
assert [c["class"] for c in false["selfreport_classes"]] == ["mmap"]
PY
soak report --db "$DB" 1 2 > "$T/r.md"
grep -q '^| mmapk #1 | \[MMAPK\] pairs | mmap | [0-9]* | [0-9]* | [0-9]* | agree (from the first operation) |' "$T/r.md" || fail "Markdown honest row: $(grep 'MMAPK\] pairs' "$T/r.md")"
grep -q '^| mmapk #2 | \[MMAPK\] allocs | mmap | [0-9]* | [0-9]* | [0-9]* | \*\*disagree\*\*' "$T/r.md" || fail "Markdown false row: $(grep 'MMAPK\] allocs' "$T/r.md")"
soak report --db "$DB" --format csv 1 > "$T/r.csv"
python3 - "$T/r.csv" <<'PY' || fail "CSV lacks the self-reported counters or classes"
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
c = dict(kv.split("=") for kv in row["selfreport"].split(";"))
assert int(float(c["MMAPK.pairs"])) > 1000 and c["MMAPK.every"] == "64", row["selfreport"]
k = dict(kv.split("=") for kv in row["selfreport_classes"].split(";"))
assert k["MMAPK.mmap"].endswith("/agree") and k["MMAPK.munmap"].endswith("/agree"), row["selfreport_classes"]
print("csv:", row["selfreport"], "|", row["selfreport_classes"])
PY
pass "declared [selfreport.MMAPK]: honest mmap/munmap = pairs agree with the measured counts, mmap = allocs disagrees; JSON, CSV, Markdown"

# ---- Markdown: only non-zero counters, natural order ----
cat > "$T/fx.sh" <<'SH'
#!/bin/sh
echo "[NAT] B10=3 B6=2 B2=1 Z0=0 Z1=0"
SH
chmod +x "$T/fx.sh"
soak run --db "$DB" -w exec -d 2s -i 250ms --no-progress -q -- "$T/fx.sh" || fail "fx run exited $?"
soak report --db "$DB" 3 > "$T/n.md"
order=$(grep -o '| NAT\.[A-Z0-9]* |' "$T/n.md" | tr -d '| ' | tr '\n' ' ')
[ "$order" = "NAT.B2 NAT.B6 NAT.B10 " ] || fail "Markdown counters '$order', expected the non-zero ones in natural order"
grep -q '^2 counters equal to 0 are not listed' "$T/n.md" || fail "Markdown does not say the zeros were left out"
pass "Markdown self-reported counters: $order(zeros counted, in JSON)"

# ---- the docs/metrics.md example, as written there ----
SRC=${SOAK_SRC:-$(dirname "$0")/../..}
python3 - "$SRC/docs/metrics.md" > "$T/docs.ini" <<'PY' || fail "no [selfreport.HAKMEM_OS] example in docs/metrics.md"
import re, sys, textwrap
for block in re.findall(r"```ini\n(.*?)```", open(sys.argv[1]).read(), re.S):
    if "[selfreport.HAKMEM_OS]" in block:
        print(textwrap.dedent(block)); sys.exit(0)
sys.exit(1)
PY
cat > "$T/hk.sh" <<'SH'
#!/bin/sh
echo "[HAKMEM_OS] seg_acq=3 seg_rel=2 madvise_calls=4 madvise_retries=1 os_calls=11"
SH
chmod +x "$T/hk.sh"
soak run --db "$DB" --config "$T/docs.ini" -w exec -d 2s -i 250ms --no-progress -q -- "$T/hk.sh" \
  || fail "the docs example was refused (exit $?)"
id=$(q "select max(id) from runs")
cls() { q "select cast(value as int) from run_values where run_id=$id and name='selfreport_class.HAKMEM_OS.$1'"; }
got="$(cls mmap) $(cls munmap) $(cls madvise) $(cls total)"
[ "$got" = "3 2 5 11" ] || fail "docs example classes mmap munmap madvise total = $got, want 3 2 5 11"
pass "docs/metrics.md [selfreport.HAKMEM_OS] example: accepted, classes $got"

# ---- a bad declaration: one line, exit 2, no run ----
printf '[selfreport.MMAPK]\nmmapp = pairs\n' > "$T/bad.ini"
before=$(q "select count(*) from runs")
rc=0; out=$(soak run --db "$DB" --config "$T/bad.ini" -w tiny_hot -d 1s --no-progress 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "bad declaration: exit $rc"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "'mmapp' is not a syscall class" || fail "bad declaration said: $out"
[ "$(q "select count(*) from runs")" = "$before" ] || fail "bad declaration recorded a run"
pass "bad declaration: $out"
assert_no_cgroups
