#!/usr/bin/env python3
"""replaywin.py SPEC FROM TO DUMP OPS - checks a replay --window run against
the crafted trace it replayed, independently of the C code.

SPEC: the tracecraft.py spec of the trace (its times follow tracecraft's
rule); FROM, TO: the window in seconds of the trace; DUMP: tracedump.py --all
of what the replay called (recorded by soakctl record around soak-worker);
OPS: the op count the worker printed.

Expected, per recorded stream, from SPEC alone: pass 1 is its calls before
TO; each pass ends with its frees of the blocks it allocated that are live at
TO and were not at FROM, and its allocations again (same call, size,
alignment; realloc's blocks by malloc) of those live at FROM and not at TO,
both in object id order; every later pass is its calls in [FROM, TO) and the
same end. Checked on the recording: each replay thread's calls on the
trace's blocks (told apart by their sizes) are a prefix of its recorded
stream's expected sequence, at least 3 later passes long; when every thread
has ended pass k, the live bytes of those blocks (the recording's calls,
merged in time order) equal the bytes live at FROM; the worker's op count is
the number of those calls. Prints the per-pass figures."""
import json
import sys

ALIGNED = {"posix_memalign", "aligned_alloc", "memalign"}
CODE = {"malloc": 1, "calloc": 2, "realloc": 3, "posix_memalign": 6, "aligned_alloc": 7, "memalign": 8}


def timeline(spec):
    """(t_ns since the first event, stream, event) in time order, by tracecraft's rule."""
    gap, base, out = spec.get("gap_ns", 1000), 0, []
    for c in spec["chunks"]:
        for i, ev in enumerate(c["events"]):
            out.append((base + i * gap, c["stream"], ev))
        base += gap * (len(c["events"]) + 1)
    return sorted(out, key=lambda x: x[0])


def step(live, stream, ev):
    """Applies one event to live {id: (owner, kind, size, align)}; the call as compared."""
    k = ev[0]
    if k == "free":
        return ("free", live.pop(ev[1])[2])
    if k == "realloc":
        old = live.pop(ev[1])[2]
        live[ev[2]] = (stream, "malloc", ev[3], 0)
        return ("realloc", old, ev[3])
    if k in CODE:
        live[ev[1]] = (stream, k, ev[2], ev[3] if k in ALIGNED else 0)
        return (k, ev[2], ev[3] if k in ALIGNED else 0)
    return None


def expect(spec, frm, to):
    live, at_from, pass1, window = {}, None, {}, {}
    for t, s, ev in timeline(spec):
        if t >= frm and at_from is None:
            at_from = dict(live)
        if t >= to:
            break
        call = step(live, s, ev)
        if call:
            pass1.setdefault(s, []).append(call)
            if t >= frm:
                window.setdefault(s, []).append(call)
    at_from = dict(live) if at_from is None else at_from
    end = {}
    for oid in sorted(set(live) | set(at_from)):
        if oid in live and oid not in at_from:
            end.setdefault(live[oid][0], []).append(("free", live[oid][2]))
        elif oid in at_from and oid not in live:
            owner, kind, size, al = at_from[oid]
            end.setdefault(owner, []).append((kind, size, al))
    return pass1, window, end, sum(v[2] for v in at_from.values())


def replayed(dump, sizes):
    """Each replay stream's calls on the trace's blocks, with their times."""
    evs = sorted(((e[5], int(s), e) for s, l in dump["streams"].items() for e in l), key=lambda x: x[0])
    names = {v: k for k, v in CODE.items()}
    live, out = {}, {}
    for ts, s, (kind, old, oid, size, al, _) in evs:
        if kind == 5:
            if oid in live:
                out.setdefault(s, []).append((ts, ("free", live.pop(oid)), dict(live)))
        elif kind == 3 and old in live:
            call = ("realloc", live.pop(old), size)
            live[oid] = size
            out.setdefault(s, []).append((ts, call, dict(live)))
        elif size in sizes and kind in names:
            live[oid] = size
            out.setdefault(s, []).append((ts, (names[kind], size, al), dict(live)))
    return out


def main():
    spec = json.load(open(sys.argv[1]))
    frm, to = (round(float(x) * 1e9) for x in sys.argv[2:4])
    dump, ops = json.load(open(sys.argv[4])), int(sys.argv[5])
    pass1, window, end, want_live = expect(spec, frm, to)
    sizes = {ev[2] if ev[0] != "realloc" else ev[3] for c in spec["chunks"] for ev in c["events"]
             if ev[0] in CODE}
    got = replayed(dump, sizes)
    if len(got) != len(pass1):
        sys.exit(f"{len(got)} replay threads called on the trace's blocks, the trace has {len(pass1)} streams")
    total = sum(len(v) for v in got.values())
    if total != ops:
        sys.exit(f"the worker counted {ops} ops; the recording holds {total} calls on the trace's blocks")
    blocks, passes = {}, None
    for rs, calls in got.items():
        seq = [c for _, c, _ in calls]
        match = [s for s in pass1 if seq[:len(pass1[s])] == pass1[s]]
        if len(match) != 1:
            sys.exit(f"replay thread {rs}: its first calls {seq[:8]} match no recorded stream's pass 1")
        s = match[0]
        e, w = end.get(s, []), window.get(s, [])
        want = pass1[s] + e
        while len(want) < len(seq):
            want += w + e
        if seq != want[:len(seq)]:
            i = next(i for i, (a, b) in enumerate(zip(seq, want)) if a != b)
            sys.exit(f"stream {s}: call {i} is {seq[i]}, want {want[i]}")
        n = (len(seq) - len(pass1[s]) - len(e)) // (len(w) + len(e)) + 1 if len(seq) >= len(pass1[s]) + len(e) else 0
        passes = n if passes is None else min(passes, n)
        # the time of the last call of each pass's end
        blocks[rs] = [calls[len(pass1[s]) + len(e) - 1 + k * (len(w) + len(e))][0] for k in range(n)]
    if passes < 4:
        sys.exit(f"only {passes} passes ended on every thread")
    merged = sorted((ts, live) for calls in got.values() for ts, _, live in calls)
    for k in range(passes):
        tk = max(b[k] for b in blocks.values())
        live = [lv for ts, lv in merged if ts <= tk][-1]
        if sum(live.values()) != want_live:
            sys.exit(f"after pass {k + 1}: {sum(live.values())} bytes live, {want_live} at FROM")
    per = sum(len(window.get(s, [])) + len(end.get(s, [])) for s in pass1)
    print(f"{passes} passes ended on every thread; each later one {per} calls "
          f"({sum(len(v) for v in window.values())} in the window, {sum(len(v) for v in end.values())} at its end); "
          f"{want_live} bytes live at FROM and after every pass; {ops} ops")


main()
