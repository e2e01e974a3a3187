#!/usr/bin/env python3
"""tracedump.py TRACE - an independent decoder of the trace format
(include/soak/trace.h), for the tests: each chunk's zstd frame is
decompressed by the zstd command, the events decoded here. Prints one JSON
object: {"streams": {stream: [[kind, size, align_log2], ...]}} for the
allocating events, in each stream's order. TRACE --all: every event but
thread events, as [kind, old_id, id, size, align_log2, ts_ns]."""
import json, struct, subprocess, sys

ALLOC = {1, 2, 3, 4, 6, 7, 8, 9, 10}   # all but free (5) and thread events
REALLOCS = {3, 4}
ALIGNED = {6, 7, 8}

def var(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7f) << s; s += 7
        if not x & 0x80:
            return v, i

d = open(sys.argv[1], "rb").read()
assert d[:8] == b"SOAKTRC1", "bad magic"
every = sys.argv[2:] == ["--all"]
pos = 16 + struct.unpack_from("<I", d, 12)[0]
streams = {}
while pos < len(d) and d[pos:pos + 4] == b"CHNK":
    stream, clen, rlen, n = struct.unpack_from("<IIII", d, pos + 4)
    raw = subprocess.run(["zstd", "-dc"], input=d[pos + 28:pos + 28 + clen], capture_output=True, check=True).stdout
    assert len(raw) == rlen
    i, ts, last = 0, struct.unpack_from("<Q", d, pos + 20)[0], 0
    for _ in range(n):
        kind = raw[i]; i += 1
        dt, i = var(raw, i)                   # time delta
        ts += dt
        old = 0
        if kind in REALLOCS:
            z, i = var(raw, i)                # old id
            last = old = last + ((z >> 1) ^ -(z & 1))
        z, i = var(raw, i)                    # id
        last = oid = last + ((z >> 1) ^ -(z & 1))
        size = 0
        if kind not in (5, 12):
            size, i = var(raw, i)
        al = 0
        if kind in ALIGNED:
            al = raw[i]; i += 1
        if every and kind < 11:
            streams.setdefault(stream, []).append([kind, old, oid, size, al, ts])
        elif kind in ALLOC and not every:
            streams.setdefault(stream, []).append([kind, size, al])
    pos += 28 + clen
print(json.dumps({"streams": streams}))
