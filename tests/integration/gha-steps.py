#!/usr/bin/env python3
"""Runs the shell steps of a GitHub Actions workflow here, as the runner would.

  gha-steps.py WORKFLOW.yml WORKDIR STORE

Each job runs in WORKDIR (the checkout), the matrix expanded, jobs in the
order of `needs`. A `run:` step runs with bash -e, `${{ matrix.X }}` and
`${{ github.run_id }}` substituted, `sudo ` dropped (the test runs as root)
and GITHUB_STEP_SUMMARY set. Steps this machine cannot run are stood in for:
  - actions/checkout: WORKDIR is the checkout;
  - a step that runs scripts/install-deps.sh (and builds): the test's build
    is linked as WORKDIR/build, its packages are the test's;
  - upload-artifact / download-artifact (pattern, merge-multiple): copies
    into and out of STORE/artifacts;
  - cache/restore (key, restore-keys prefix) and cache/save: copies into and
    out of STORE/cache, kept between runs of this script (a nightly's history).
Any other `uses:` is an error. Prints each step; exits with the first failed
step's code (a job with `if: always()` still runs after a failed one).
"""
import glob
import itertools
import os
import re
import shutil
import subprocess
import sys

import yaml


def subst(text, ctx):
    def one(m):
        key = m.group(1).strip()
        if key not in ctx:
            raise SystemExit(f"gha-steps: no value for ${{{{ {key} }}}}")
        return str(ctx[key])
    return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", one, text)


def uses(step, ctx, work, store):
    name, w = step["uses"].split("@")[0], {k: subst(str(v), ctx) for k, v in step.get("with", {}).items()}
    arts, cache = os.path.join(store, "artifacts"), os.path.join(store, "cache")
    if name == "actions/checkout":
        return 0
    if name == "actions/upload-artifact":
        d = os.path.join(arts, w["name"])
        os.makedirs(d, exist_ok=True)
        for p in w["path"].split():
            shutil.copy(os.path.join(work, p), d)
        return 0
    if name == "actions/download-artifact":
        dest = os.path.join(work, w["path"])
        os.makedirs(dest, exist_ok=True)
        for d in sorted(glob.glob(os.path.join(arts, w.get("pattern", "*")))):
            for f in os.listdir(d):
                shutil.copy(os.path.join(d, f), dest if w.get("merge-multiple") == "True" else os.path.join(dest, os.path.basename(d)))
        return 0
    if name == "actions/cache/restore":
        keys = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
        hit = w["key"] if w["key"] in keys else next((k for k in reversed(keys) if k.startswith(w.get("restore-keys", "\0"))), None)
        if hit:
            shutil.copy(os.path.join(cache, hit, os.path.basename(w["path"])), os.path.join(work, w["path"]))
        print(f"  cache: {'restored ' + hit if hit else 'miss'}")
        return 0
    if name == "actions/cache/save":
        d = os.path.join(cache, w["key"])
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(work, w["path"]), d)
        return 0
    raise SystemExit(f"gha-steps: no stand-in for uses: {step['uses']}")


def run_job(name, job, ctx, work, store):
    env = dict(os.environ, GITHUB_STEP_SUMMARY=os.path.join(store, "summary.md"))
    rc = 0
    for step in job["steps"]:
        if rc and "always()" not in str(step.get("if", "")):
            continue
        if "uses" in step:
            r = uses(step, ctx, work, store)
        elif "install-deps.sh" in step["run"]:
            print(f"[{name}] (the test's build stands in for) {step['run']}")
            r = 0
        else:
            cmd = subst(step["run"], ctx).replace("sudo ", "")
            print(f"[{name}] $ {cmd}", flush=True)
            r = subprocess.run(["bash", "-e", "-c", cmd], cwd=work, env=env).returncode
        if r and not rc:
            rc = r
    return rc


def needs_of(job):
    n = job.get("needs", [])
    return [n] if isinstance(n, str) else n


def main():
    wf_path, work, store = sys.argv[1:4]
    wf = yaml.safe_load(open(wf_path))
    runs = int(open(os.path.join(store, "run_id")).read()) + 1 if os.path.exists(os.path.join(store, "run_id")) else 1
    open(os.path.join(store, "run_id"), "w").write(str(runs))
    shutil.rmtree(os.path.join(store, "artifacts"), ignore_errors=True)
    done, status, first_rc = set(), {}, 0
    jobs = wf["jobs"]
    while len(done) < len(jobs):
        ready = [j for j in jobs if j not in done and all(n in done for n in needs_of(jobs[j]))]
        if not ready:
            raise SystemExit("gha-steps: a cycle in needs")
        for j in ready:
            job, needs = jobs[j], needs_of(jobs[j])
            if any(status[n] for n in needs) and "always()" not in str(job.get("if", "")):
                status[j] = 1
            else:
                matrix = job.get("strategy", {}).get("matrix", {})
                combos = [dict(zip(matrix, vs)) for vs in itertools.product(*matrix.values())]
                rcs = []
                for c in combos:
                    jw = os.path.join(work, f"{j}-{'-'.join(map(str, c.values())) or 'job'}")
                    shutil.copytree(os.path.join(work, "checkout"), jw, symlinks=True)
                    ctx = {f"matrix.{k}": v for k, v in c.items()} | {"github.run_id": runs}
                    rcs.append(run_job(j, job, ctx, jw, store))
                    shutil.rmtree(jw)
                status[j] = next((r for r in rcs if r), 0)
            first_rc = first_rc or status[j]
            done.add(j)
    print(f"gha-steps: jobs {status}")
    return first_rc


if __name__ == "__main__":
    sys.exit(main())
