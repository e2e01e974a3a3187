#!/usr/bin/env bash
# The smaller faults of the nightly path (docs/faults.md): each case is the
# input that went wrong and the exact text or file that must come out now.
source "$(dirname "$0")/lib.sh"
SY=$SOAK_BUILD/tests/synthdb
[ -x "$SY" ] || fail "synthdb not built ($SY)"

# gnuplot reads _ ^ @ { } in text as markup: an allocator my_alloc_v2 was drawn
# "my" with subscripts in the history plots' legends. Text is literal now.
if command -v gnuplot > /dev/null; then
  "$SY" "$T/h.db" my_alloc_v2 4 2 100 0.02 -1 0 1 10 > /dev/null
  soak history --db "$T/h.db" --format html --output "$T/h.html" || fail "history html exited $?"
  grep -q "<text>S1 my_alloc_v2" "$T/h.html" || fail "legend text is not literal: $(grep -o '<text><tspan[^<]*>my[^/]*' "$T/h.html" | head -2)"
  pass "gnuplot text is literal: my_alloc_v2 in the legend"
fi
