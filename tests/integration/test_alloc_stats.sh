#!/usr/bin/env bash
# The allocator's own view (alloc_* metrics), read in the worker, against
# ground truth:
# - jemalloc, a leak held at a plateau (--total) of chunks of 40000 bytes,
#   which jemalloc serves from its 40 KiB size class (classes are 4 per
#   doubling, so a request is rounded up by less than 25%; here by 2.4%):
#   at the last sample bytes_live <= bytes_usable <= alloc_allocated_bytes <=
#   bytes_usable + 1 MiB (the worker's own blocks: options, stdio; its thread
#   caches hold nothing of 40 KiB, above jemalloc's tcache limit), and
#   bytes_usable = chunks x 40960 exactly; active/resident/mapped/retained
#   recorded, free NULL with "jemalloc offers no free-bytes figure"; the same
#   bounds with 100-byte chunks (its 112-byte class: 12% rounding, below the
#   25% bound of its small classes, and allocated <= 1.25 x live + 1 MiB);
# - system (glibc mallinfo2): allocated >= bytes_live, mapped and free
#   recorded, active NULL with its reason;
# - tcmalloc: allocated >= bytes_live, free and mapped recorded;
# - mimalloc: committed memory as alloc_mapped_bytes, allocated NULL saying so;
# - a library with no statistics interface (tests' libslowmalloc.so): every
#   alloc_* NULL with "offers no statistics interface soak knows; declare one
#   in soak.ini";
# - soak.ini `stats =`: the README's example (a registered jemalloc with
#   stats = jemalloc) gives the figures; stats = none and a declared interface
#   the library lacks give NULL with reasons; an unknown value is exit 2 with
#   the known ones listed, before any run is recorded;
# - bytes_usable without --usable-bytes: NULL saying what it costs and how to
#   turn it on; with it, under a library without malloc_usable_size: NULL
#   saying so.
source "$(dirname "$0")/lib.sh"
cd "$T"
SLOW=$SOAK_BUILD/tests/libslowmalloc.so
[ -f "$SLOW" ] || fail "$SLOW was not built"
last() { q "select value from samples_named where run_id=$1 and metric='$2' and value is not null order by t desc limit 1"; }
reason() { q "select reason from run_metrics rm join metrics m on m.id=rm.metric_id where rm.run_id=$1 and m.name='$2'"; }
nvalid() { q "select count(*) from samples_named where run_id=$1 and metric='$2' and value is not null"; }
run() { soak run --db "$DB" -d 2s -i 200ms --no-progress -q "$@" || fail "run $* exited $?"; q "select max(id) from runs"; }
le() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(0 if a <= b else 1)" "$1" "$2"; }
LEAK=(-w leak --usable-bytes -- --rate 64M --chunk 40000 --total 16M)

# ---- jemalloc ----
id=$(run -a jemalloc "${LEAK[@]}")
live=$(last $id bytes_live); usable=$(last $id bytes_usable); alloc=$(last $id alloc_allocated_bytes)
[ -n "$live" ] && [ -n "$usable" ] && [ -n "$alloc" ] || fail "jemalloc: live '$live' usable '$usable' allocated '$alloc'"
n=$(python3 -c "print(int(float('$live')) // 40000)")
[ "$n" -gt 100 ] || fail "jemalloc: only $n chunks held"
python3 -c "import sys; sys.exit(0 if float('$usable') == $n * 40960 else 1)" \
  || fail "jemalloc: bytes_usable $usable is not $n x 40960"
le "$live" "$usable" && le "$usable" "$alloc" || fail "jemalloc: live $live, usable $usable, allocated $alloc out of order"
le "$alloc" "$(python3 -c "print(float('$usable') + 2**20)")" \
  || fail "jemalloc: allocated $alloc exceeds usable $usable + 1 MiB"
for m in alloc_active_bytes alloc_resident_bytes alloc_mapped_bytes alloc_retained_bytes; do
  [ "$(nvalid $id $m)" -gt 3 ] || fail "jemalloc: $m has $(nvalid $id $m) samples ($(reason $id $m))"
done
le "$alloc" "$(last $id alloc_active_bytes)" && le "$(last $id alloc_active_bytes)" "$(last $id alloc_mapped_bytes)" \
  || fail "jemalloc: allocated <= active <= mapped does not hold"
[ "$(reason $id alloc_free_bytes)" = "jemalloc offers no free-bytes figure" ] \
  || fail "jemalloc: alloc_free_bytes reason '$(reason $id alloc_free_bytes)'"
pass "jemalloc: live $live <= usable $usable ($n x 40960) <= allocated $alloc <= usable + 1 MiB"

# A small class: 100-byte chunks from jemalloc's 112-byte class. Rounding is
# below 25% (4 classes per doubling); a leak frees nothing, so its thread
# cache holds at most one refill of that bin.
id=$(run -a jemalloc -w leak --usable-bytes -- --rate 64M --chunk 100 --total 8M)
live=$(last $id bytes_live); usable=$(last $id bytes_usable); alloc=$(last $id alloc_allocated_bytes)
python3 - "$live" "$usable" "$alloc" <<'PY' || fail "jemalloc 100-byte chunks: live $live usable $usable allocated $alloc"
import sys
live, usable, alloc = map(float, sys.argv[1:])
n = live // 100
assert n > 10000 and usable == n * 112, (n, usable)
assert live <= usable <= 1.25 * live, "rounding above 25%"
assert usable <= alloc <= usable + 2**20, "allocated outside usable .. usable + 1 MiB"
assert alloc <= 1.25 * live + 2**20
PY
pass "jemalloc, 100-byte chunks: live $live <= usable $usable (x1.12 <= x1.25) <= allocated $alloc <= usable + 1 MiB"

# ---- system (glibc) ----
id=$(run "${LEAK[@]}")
live=$(last $id bytes_live); alloc=$(last $id alloc_allocated_bytes)
le "$live" "$alloc" || fail "glibc: allocated $alloc < bytes_live $live"
[ "$(nvalid $id alloc_mapped_bytes)" -gt 3 ] && [ "$(nvalid $id alloc_free_bytes)" -gt 3 ] \
  || fail "glibc: mapped/free not recorded"
[ "$(reason $id alloc_active_bytes)" = "glibc (mallinfo2) offers no active-pages figure" ] \
  || fail "glibc: active reason '$(reason $id alloc_active_bytes)'"
pass "glibc (mallinfo2): allocated $alloc >= live $live"

# ---- tcmalloc ----
id=$(run -a tcmalloc "${LEAK[@]}")
live=$(last $id bytes_live); alloc=$(last $id alloc_allocated_bytes)
le "$live" "$alloc" || fail "tcmalloc: allocated '$alloc' < bytes_live $live"
[ "$(nvalid $id alloc_free_bytes)" -gt 3 ] && [ "$(nvalid $id alloc_mapped_bytes)" -gt 3 ] \
  || fail "tcmalloc: free/mapped not recorded"
pass "tcmalloc: allocated $alloc >= live $live"

# ---- mimalloc ----
id=$(run -a mimalloc "${LEAK[@]}")
mapped=$(last $id alloc_mapped_bytes); live=$(last $id bytes_live)
le "$live" "$mapped" || fail "mimalloc: committed '$mapped' < bytes_live $live"
case $(reason $id alloc_allocated_bytes) in *"only committed memory"*) ;;
  *) fail "mimalloc: allocated reason '$(reason $id alloc_allocated_bytes)'" ;; esac
pass "mimalloc: committed $mapped as alloc_mapped_bytes, allocated NULL with its reason"

# ---- no statistics interface ----
id=$(run -a "$SLOW" -w random_mixed)
for m in alloc_allocated_bytes alloc_active_bytes alloc_resident_bytes alloc_mapped_bytes alloc_retained_bytes alloc_free_bytes; do
  [ "$(nvalid $id $m)" = 0 ] || fail "libslowmalloc: $m has values"
  [ "$(reason $id $m)" = "allocator $SLOW offers no statistics interface soak knows; declare one in soak.ini" ] \
    || fail "libslowmalloc: $m reason '$(reason $id $m)'"
done
case $(reason $id bytes_usable) in "not measured: costs "*"% throughput; turn on with --usable-bytes") ;;
  *) fail "bytes_usable without --usable-bytes: '$(reason $id bytes_usable)'" ;; esac
pass "no statistics interface: every alloc_* NULL with the reason; bytes_usable off says how to turn it on"
id=$(run -a "$SLOW" -w random_mixed --usable-bytes)
[ "$(reason $id bytes_usable)" = "allocator $SLOW offers no malloc_usable_size" ] \
  || fail "--usable-bytes without malloc_usable_size: '$(reason $id bytes_usable)'"
[ "$(nvalid $id bytes_usable)" = 0 ] || fail "--usable-bytes without malloc_usable_size: values recorded"
pass "--usable-bytes under a library without malloc_usable_size: NULL with the reason"

# ---- soak.ini stats = ----
# The README's example, as written there.
python3 - "$SOAK_SRC/README.md" > soak.ini <<'PY'
import re, sys, textwrap
blocks = re.findall(r"```ini\n(.*?)```", open(sys.argv[1]).read(), re.S)
print(textwrap.dedent(next(b for b in blocks if "stats = jemalloc" in b)).rstrip() + "\n", end="")
PY
grep -q '^stats = jemalloc' soak.ini || fail "README has no stats = jemalloc example"
name=$(sed -n 's/^\[allocator\.\(.*\)\]$/\1/p' soak.ini)
id=$(run -a "$name" "${LEAK[@]}")
[ "$(nvalid $id alloc_allocated_bytes)" -gt 3 ] || fail "README example: no allocated figure"
pass "README's [allocator.$name] stats = jemalloc: figures recorded"
JE=$(sed -n 's/^path = //p' soak.ini)
cat >> soak.ini <<INI

[allocator.quiet]
path = $JE
stats = none

[allocator.liar]
path = $SLOW
stats = jemalloc
INI
id=$(run -a quiet -w random_mixed)
case $(reason $id alloc_mapped_bytes) in "allocator quiet declares no statistics interface (stats = none in "*) ;;
  *) fail "stats = none: '$(reason $id alloc_mapped_bytes)'" ;; esac
id=$(run -a liar -w random_mixed)
[ "$(reason $id alloc_mapped_bytes)" = "allocator $SLOW is declared stats = jemalloc but exports no mallctl" ] \
  || fail "declared but missing: '$(reason $id alloc_mapped_bytes)'"
"$SOAKCTL" allocators > list || fail "allocators exited $?"
for w in "myje jemalloc" "quiet none" "liar none" "system glibc" "tcmalloc tcmalloc" "mimalloc mimalloc"; do
  # shellcheck disable=SC2086
  set -- $w
  grep -Eq "^$1 +ok .*\]  stats: $2\$" list || fail "allocators: $1 not shown with stats: $2: $(grep "^$1 " list)"
done
printf '\n[allocator.typo]\npath = %s\nstats = jemaloc\n' "$JE" >> soak.ini
before=$(q "select count(*) from runs")
rc=0; soak run --db "$DB" -a typo -d 1s --no-progress -q 2> err || rc=$?
[ $rc = 2 ] || fail "stats = jemaloc: exit $rc"
grep -q "unknown stats 'jemaloc' in \[allocator.typo\] (known: jemalloc, tcmalloc, mimalloc, glibc, none)" err \
  || fail "stats = jemaloc: $(cat err)"
[ "$(q "select count(*) from runs")" = "$before" ] || fail "stats = jemaloc: a run was recorded"
pass "stats = none / a missing interface: NULL with reasons; an unknown value: exit 2 naming the known ones"
assert_no_cgroups
