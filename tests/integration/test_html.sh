#!/usr/bin/env bash
# --format html for report, compare and history: one self-contained file each
# (inline SVG from gnuplot, no script, nothing fetched), the plots present, a
# hostile label HTML-escaped (and kept out of gnuplot scripts), and headless
# Chromium loads every page with no console message. With
# SOAK_UPDATE_SCREENSHOTS=DIR the screenshots are kept there (docs/).
source "$(dirname "$0")/lib.sh"
command -v gnuplot >/dev/null || fail "gnuplot is missing (scripts/install-deps.sh installs gnuplot-nox)"
command -v chromium >/dev/null || fail "chromium is missing (scripts/install-deps.sh installs chromium)"
EVIL='<script>alert("x")</script> & '"'"'q'"'"' ; system("touch '"$T"'/pwned")'
soak compare system mimalloc -d 3s --warmup 1s -i 100ms --repeat 4 --db "$DB" -q --no-progress --label "$EVIL" \
  --format html --output "$T/compare.html" || fail "compare --format html exited $?"
soak report --db "$DB" --label "$EVIL" --format html --output "$T/report.html" || fail "report html exited $?"
# History: synthetic nights (tests/bench/synthdb.c, the real write path) with a planted step.
"$SOAK_BUILD/tests/synthdb" "$T/h.db" system 6 3 1e7 0.04 -1 0 1 || fail synthdb
"$SOAK_BUILD/tests/synthdb" "$T/h.db" 'evil<b>&"' 6 3 1e7 0.03 5 -12 2 || fail synthdb
soak history --db "$T/h.db" --format html --output "$T/history.html" || fail "history html exited $?"
[ -e "$T/pwned" ] && fail "a label ran a gnuplot command"
# Each run's memory layers, RSS down to live bytes (a hostile label only in a title).
for p in report compare; do
  grep -q "Memory layers over time" "$T/$p.html" || fail "$p.html has no memory layers plot"
done
for p in report compare history; do
  f=$T/$p.html
  n=$(grep -c "<svg" "$f" || true)
  want=3; [ $p = history ] && want=4
  [ "$n" -ge $want ] || fail "$p.html has $n plots, want >= $want"
  grep -q "plot unavailable" "$f" && fail "$p.html: $(grep -o 'plot unavailable[^<]*' "$f" | head -1)"
  # Self-contained: no script, no link, no src/href to anywhere (SVG namespaces are names, not fetches).
  grep -Eiq "<script|<link|<iframe|<img|src=|@import|url\(" "$f" && fail "$p.html refers to something outside itself"
  grep -Eo "(href|xlink:href)=\"[^\"#][^\"]*\"" "$f" | head -1 | grep -q . && fail "$p.html has a link: $(grep -Eo '(href|xlink:href)="[^"#][^"]*"' "$f" | head -1)"
  [ "$(grep -c '<html' "$f")" = 1 ] || fail "$p.html is not one page"
done
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;' "$T/report.html" \
  || fail "the hostile label is not escaped in report.html"
grep -q 'evil&lt;b&gt;&amp;&quot;' "$T/history.html" || fail "the hostile allocator name is not escaped in history.html"
grep -q "<svg" "$T/history.html" && grep -q "Throughput" "$T/history.html" || fail "history plot missing"
pass "three pages: inline SVG plots, self-contained, hostile text escaped"
# Headless Chromium: loads each page, no console message (errors would be
# CONSOLE lines with --enable-logging), a screenshot.
SHOTS=${SOAK_UPDATE_SCREENSHOTS:-$T}
for p in report compare history; do
  prof=$(mktemp -d "$T/chrome.XXXXXX")
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
    --enable-logging=stderr --v=0 --force-device-scale-factor=0.5 --window-size=1200,3600 \
    --screenshot="$SHOTS/html-$p.png" "file://$T/$p.html" 2> "$T/$p.chrome.log" \
    || fail "chromium exited $? on $p.html: $(tail -3 "$T/$p.chrome.log")"
  grep -E "CONSOLE|Uncaught|Refused to" "$T/$p.chrome.log" && fail "console messages on $p.html"
  [ -s "$SHOTS/html-$p.png" ] || fail "no screenshot of $p.html"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
    --dump-dom "file://$T/$p.html" 2>/dev/null > "$T/$p.dom" || fail "chromium --dump-dom on $p.html"
  n=$(grep -o "<svg" "$T/$p.dom" | wc -l)
  [ "$n" -ge 3 ] || fail "Chromium's DOM of $p.html has $n svg elements"
  grep -q "<script" "$T/$p.dom" && fail "Chromium's DOM of $p.html has a script element"
done
pass "Chromium loads report, compare and history pages with no console message; screenshots in $SHOTS"
