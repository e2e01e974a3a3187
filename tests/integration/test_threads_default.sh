#!/usr/bin/env bash
# test_threads_default.sh - the multi-thread classic workloads default to the
# CPUs the run's cgroup allows: under --cpu-max 100% one thread, 150% two
# (rounded up), without a limit the CPUs of the affinity mask capped by the
# quotas above the run's cgroup (computed here from the same files), and a
# given --threads wins. The count and how it was found are in the run; the
# docs/workloads.md example runs as written.
source "$(dirname "$0")/lib.sh"
cd "$T"
python3 - "$SOAK_SRC/docs/workloads.md" > example.sh <<'PY'
import sys
t = open(sys.argv[1]).read(); i = t.index("<!-- test_threads_default -->")
b = t[t.index("```sh\n", i) + 6:]; print(b[:b.index("```")])
PY
sed -i "s|^soakctl |$SOAKCTL |" example.sh
[ "$(bash -e example.sh)" = "1.0" ] || fail "the docs/workloads.md example: not 1 thread under --cpu-max 100%"
pass "docs/workloads.md example: larson under --cpu-max 100% ran 1 thread"

# The default without a limit, from the test's own view of the host: the
# affinity mask, capped by the smallest quota on the runner's cpu cgroup path.
want=$(python3 - <<'PY'
import math, os
n = len(os.sched_getaffinity(0)); q = None
for line in open("/proc/self/cgroup"):
    _, ctrls, path = line.rstrip("\n").split(":", 2)
    if "cpu" in ctrls.split(","):
        d = "/sys/fs/cgroup/cpu" + (path if path != "/" else "")
        while True:
            try:
                quota = int(open(d + "/cpu.cfs_quota_us").read()); period = int(open(d + "/cpu.cfs_period_us").read())
                if quota > 0: q = min(q or 1e9, quota / period)
            except OSError: pass
            if d == "/sys/fs/cgroup/cpu": break
            d = os.path.dirname(d)
print(min(n, math.ceil(q)) if q else n)
PY
)
DB=$T/t.db
run() { soak run --db "$DB" -q --no-progress -d 1s "$@"; }
last() { q "select value from run_values where name = 'threads' and run_id = (select max(id) from runs)"; }
how() { q "select detail from events where kind = 'threads' and run_id = (select max(id) from runs)"; }
for w in larson cache_thrash cache_scratch lifo rptest mstress; do
  run -w $w --cpu-max 100%
  [ "$(last)" = "1.0" ] || fail "$w --cpu-max 100%: $(last) threads"
  how | grep -q "a CPU quota of 1.00 CPUs" || fail "$w: how: $(how)"
done
run -w lifo --cpu-max 150%
[ "$(last)" = "2.0" ] || fail "lifo --cpu-max 150%: $(last) threads, want 2 (rounded up)"
run -w xmalloc --cpu-max 100%
[ "$(last)" = "2.0" ] || fail "xmalloc --cpu-max 100%: $(last) threads, want one whole pair"
how | grep -q "; 2 for whole pairs" || fail "xmalloc: how: $(how)"
run -w larson
[ "$(last)" = "$want.0" ] || fail "larson without a limit: $(last) threads, want $want"
run -w larson --cpu-max 100% -- --threads 3
[ "$(last)" = "3.0" ] && [ "$(how)" = "--threads 3" ] || fail "a given --threads: $(last), $(how)"
[ "$(q "select count(*) from runs where status != 'ok'")" = 0 ] || fail "a run did not end ok"
pass "threads default to the cgroup's CPUs (1 at 100%, 2 at 150%, $want unlimited), a given count wins"
assert_no_cgroups
