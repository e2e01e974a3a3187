#!/usr/bin/env bash
# The layer check (scripts/check-includes.py) passes on the tree, and fails,
# naming the file and line, on a copy with one include planted against the
# order (an engine file including a command-line header) and on a copy where
# two folders hold a header of the same name.
set -euo pipefail
src=${SOAK_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$src/scripts/check-includes.py
python3 "$check" "$src"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for d in common include cgroup probes db workloads reports runner cli; do cp -r "$src/$d" "$tmp/"; done
cp -r "$tmp" "$tmp.dup"; trap 'rm -rf "$tmp" "$tmp.dup"' EXIT
sed -i '0,/#include "run-internal.h"/s//#include "run-internal.h"\n#include "soakctl.h"/' "$tmp/runner/run-store.c"
if out=$(python3 "$check" "$tmp"); then echo "FAIL: a runner file including soakctl.h passed"; exit 1; fi
grep -q '^runner/run-store.c:[0-9]*: includes cli/soakctl.h' <<<"$out" || { echo "FAIL: not named: $out"; exit 1; }
cp "$tmp.dup/probes/probe.h" "$tmp.dup/db/probe.h"
if out=$(python3 "$check" "$tmp.dup"); then echo "FAIL: a duplicate header name passed"; exit 1; fi
grep -q 'header name probe.h' <<<"$out" || { echo "FAIL: duplicate not named: $out"; exit 1; }
echo "1 passed, 0 failed"
