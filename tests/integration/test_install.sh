#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then use ONLY the installed tree: the
# source and build trees are hidden under empty tmpfs mounts in a private mount
# namespace, PATH holds only the prefix's bin and the system's. A short soak
# and a report run from there; /proc shows that the worker that ran is the
# installed libexec/soak/soak-worker. The man pages render with man(1) and list
# exactly the options --help lists, for every command; every listed option is
# accepted by the command's parser; the bash completion offers them; the
# example gate.ini that is installed parses.
source "$(dirname "$0")/lib.sh"
: "${SOAK_SRC:?}"
for tool in man unshare col; do
  command -v $tool >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done

P=$T/prefix
cmake --install "$SOAK_BUILD" --prefix "$P/usr" > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "cmake --install failed"; }
for f in bin/soakctl libexec/soak/soak-worker share/man/man1/soakctl.1 share/man/man1/soakctl-run.1 \
         share/bash-completion/completions/soakctl share/doc/soak/README.md share/doc/soak/docs/metrics.md \
         share/doc/soak/examples/gate.ini share/doc/soak/examples/soak.ini; do
  [ -e "$P/usr/$f" ] || fail "not installed: $f"
done
[ ! -e "$P/usr/bin/soak-worker" ] || fail "the worker is installed in bin/"
# No build-tree RPATH left in the installed binaries.
rpath=$(readelf -d "$P/usr/bin/soakctl" "$P/usr/libexec/soak/soak-worker" | grep -E 'R(UN)?PATH' || true)
if grep -q "$SOAK_BUILD" <<< "$rpath"; then
  fail "an installed binary has an RPATH into the build tree"
fi
pass "installed: $(cd "$P/usr" && find . -type f | wc -l) files"

# The rest runs in a mount namespace where the source and build trees are
# empty directories, and without the variables ctest sets for the build tree.
cat > "$T/inner.sh" <<'INNER'
set -euo pipefail
mount -t tmpfs -o size=1m soak-hidden "$SOAK_SRC"
[ "$SOAK_BUILD" = "${SOAK_BUILD#$SOAK_SRC/}" ] && mount -t tmpfs -o size=1m soak-hidden "$SOAK_BUILD"
[ -z "$(ls -A "$SOAK_SRC")" ] && [ ! -e "$SOAK_BUILD/cli/soakctl" ] || { echo "FAIL: trees still visible"; exit 1; }
exec env -i PATH="$P/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$T" T="$T" P="$P" \
  SOAK_BUILD="$SOAK_BUILD" bash "$T/checks.sh"
INNER

cat > "$T/checks.sh" <<'CHECKS'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
cd "$T"
[ "$(command -v soakctl)" = "$P/usr/bin/soakctl" ] || fail "soakctl resolves to $(command -v soakctl)"
soakctl --version > "$T/version" && grep -q '^soakctl ' "$T/version" || fail "soakctl --version"

# A short soak with the allocator injected; watch which worker runs.
soakctl run -a mimalloc -w random_mixed -d 3s -i 250ms --warmup 500ms --memory-max 256M --db "$T/i.db" --no-progress -q \
  > "$T/run.out" 2> "$T/run.err" &
runner=$!
exe=""
for _ in $(seq 60); do
  for c in $(pgrep -P $runner || true); do
    e=$(readlink "/proc/$c/exe" 2>/dev/null || true)
    case $e in *soak-worker*) exe=$e ;; esac
  done
  [ -n "$exe" ] && break
  sleep 0.1
done
rc=0; wait $runner || rc=$?
[ $rc = 0 ] || fail "installed soakctl run exit $rc: $(cat "$T/run.err")"
[ "$exe" = "$P/usr/libexec/soak/soak-worker" ] || fail "the worker that ran is '$exe', not the installed one"
pass "the worker that ran: $exe"

soakctl report --db "$T/i.db" --latest --format json --output "$T/r.json" || fail "report exit $?"
python3 - "$T/r.json" <<'PY' || fail "the installed soak's report is wrong"
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["status"] == "ok", r["status"]
assert r["allocator"]["name"] == "mimalloc", r["allocator"]
assert "mimalloc" in (r["allocator"]["observed"] or ""), r["allocator"]  # what really served malloc
assert r["limits"]["memory_max_bytes"] == 256 << 20, r["limits"]
assert r["samples"] >= 10, r["samples"]                                 # 3 s at 250 ms
assert r["throughput"]["ops"] and r["throughput"]["ops"] > 0, r["throughput"]
print("ok: report of the installed soak: status ok, mimalloc observed,", r["samples"], "samples")
PY
soakctl report --db "$T/i.db" --latest > "$T/r.md" || fail "markdown report exit $?"
grep -q '^# Soak report' "$T/r.md" && grep -q 'mimalloc' "$T/r.md" || fail "markdown report: $(head -5 "$T/r.md")"

# The example thresholds that are installed parse (exit 0 or 1, not 2).
rc=0; soakctl gate --db "$T/i.db" --latest --thresholds "$P/usr/share/doc/soak/examples/gate.ini" > "$T/gate.out" 2>&1 || rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "gate with the installed examples/gate.ini: exit $rc: $(cat "$T/gate.out")"
soakctl allocators --config "$P/usr/share/doc/soak/examples/soak.ini" > "$T/alloc.out" || fail "examples/soak.ini"
grep -q '^hakmem ' "$T/alloc.out" || fail "examples/soak.ini entries not listed"
pass "installed examples: gate.ini parses (gate exit $rc), soak.ini lists its allocators"

# Options listed by --help (lines "  -x, --name ARG" / "      --name ARG").
# (option column: 2 spaces and "-x, " or 6 spaces; wrapped help is indented deeper)
help_opts() { soakctl "$1" --help | sed -nE 's/^(  -[a-zA-Z], |      )--([a-z][a-z0-9-]*).*/\2/p' | sort -u; }
# Options listed by the rendered man page (its OPTIONS section).
man_opts() {
  MANPATH="$P/usr/share/man" MANWIDTH=200 man "soakctl-$1" 2>/dev/null | col -bx |
    sed -n '/^OPTIONS/,/^[A-Z]/p' | sed -nE 's/^ {7}(-[a-zA-Z], )?--([a-z][a-z0-9-]*).*/\2/p' | sort -u
}
cmds=$(soakctl --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ "$(echo $cmds | wc -w)" -ge 7 ] || fail "soakctl --help lists commands: $cmds"
MANPATH="$P/usr/share/man" MANWIDTH=200 man soakctl 2>/dev/null | col -bx > "$T/soakctl.man"
for c in $cmds; do
  grep -q "soakctl-$c(1)" "$T/soakctl.man" || fail "soakctl(1) does not list soakctl-$c(1)"
  h=$(help_opts "$c"); m=$(man_opts "$c")
  [ -n "$h" ] || fail "soakctl $c --help lists no options"
  [ "$h" = "$m" ] || fail "soakctl-$c(1) and soakctl $c --help list different options:
$(diff <(echo "$h") <(echo "$m"))"
done
MANPATH="$P/usr/share/man" MANWIDTH=200 man soakctl-run | col -bx > "$T/run.man"
grep -q '^NAME' "$T/run.man" && grep -q 'soakctl-run - run one soak' "$T/run.man" || fail "man soakctl-run: no NAME"
for o in memory-max cpu-max swap-max no-cgroup workload allocator; do
  grep -q -- "--$o" "$T/run.man" || fail "man soakctl-run does not show --$o"
done
pass "man: soakctl(1) lists every command; each soakctl-CMD(1) lists exactly the options of its --help ($(echo $cmds))"

# Every option --help lists is one its parser accepts. Values point into a
# directory that does not exist, so nothing runs and nothing is written.
bad=/nonexistent-soak-dir
for c in $cmds; do
  opts=$(help_opts "$c")
  db=(); grep -qx db <<< "$opts" && db=(--db $bad/x.db)
  for o in $opts; do
    [ "$o" = help ] && continue
    out=$(timeout 20 soakctl "$c" "${db[@]}" "--$o" $bad/v 2>&1 >/dev/null || true)
    if grep -qiE "unknown option|unrecognized option" <<< "$out"; then
      fail "soakctl $c --help lists --$o but the parser rejects it: $out"
    fi
  done
done
[ ! -e $bad ] || fail "the option check wrote $bad"
pass "every option in every --help is accepted by its command's parser"

# Bash completion, from the installed file.
comp() { # words...: prints what completing the last word offers
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _soakctl; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$P/usr/share/bash-completion/completions/soakctl" "$@"
}
got=$(comp soakctl "" | sort); want=$(printf '%s\n' $cmds --help --version | sort)
[ "$got" = "$want" ] || fail "completion of commands: $got"
for c in $cmds; do
  # (every command also takes --help, which its option table does not list)
  got=$(comp soakctl "$c" -- | sed -n 's/^--//p' | grep -vx help | sort -u)
  want=$(help_opts "$c" | grep -vx help || true)
  [ "$got" = "$want" ] || fail "completion of soakctl $c --: $(diff <(echo "$want") <(echo "$got"))"
done
[ "$(comp soakctl report --format "" | sort | tr '\n' ' ')" = 'csv html json md ' ] || fail "completion of --format"
grep -qx leak <<< "$(comp soakctl run -w "")" || fail "completion of -w does not offer the workloads"
grep -qx mimalloc <<< "$(comp soakctl run --allocator "")" || fail "completion of --allocator does not offer allocators"
grep -qx report <<< "$(comp soakctl help "")" || fail "completion of soakctl help COMMAND"
pass "bash completion: commands, every command's options, --format values, workloads, allocators"
CHECKS

export P T SOAK_SRC SOAK_BUILD
unshare --mount --propagation private bash "$T/inner.sh" || fail "checks in the installed tree failed"
