#!/usr/bin/env python3
"""tracecraft.py OUT SPEC [--append] - writes a crafted trace
(include/soak/trace.h) for the tests, independently of the C encoder: each
chunk's events are encoded here and compressed by the zstd command.

SPEC is JSON: {"chunks": [{"stream": S, "events": [EV, ...]}, ...],
"end": true|false}. EV is [kind, id, size] (malloc, calloc), [kind, id]
(free), [kind, old_id, id, size] (realloc), [kind, id, size, align_log2]
(posix_memalign, aligned_alloc, memalign) or [kind] (thread_exit);
thread_start is [kind, pid, tid]. Each event is 1000 ns after the last
(SPEC's "gap_ns": that many ns), the first of a chunk two gaps after the
last of the chunk before: the file order is the time order.
Without --append: the header, the chunks, and the end record when "end"
is true (its count: the events written). --append: the chunks only, added
to OUT (a trace still being written)."""
import json, struct, subprocess, sys

KINDS = {"malloc": 1, "calloc": 2, "realloc": 3, "reallocarray": 4, "free": 5, "posix_memalign": 6,
         "aligned_alloc": 7, "memalign": 8, "valloc": 9, "pvalloc": 10, "thread_start": 11,
         "thread_exit": 12}


def var(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


def chunk(stream, events, base, gap):
    raw, last = bytearray(), 0

    def idv(i):
        nonlocal last
        b = var(zigzag(i - last))
        last = i
        return b
    for ev in events:
        k = KINDS[ev[0]]
        raw += bytes([k]) + var(0 if not raw else gap)
        if k in (3, 4):
            raw += idv(ev[1]) + idv(ev[2]) + var(ev[3])
        elif k == 5:
            raw += idv(ev[1])
        elif k == 12:
            raw += idv(0)
        else:
            raw += idv(ev[1]) + var(ev[2])
            if k in (6, 7, 8):
                raw.append(ev[3])
    z = subprocess.run(["zstd", "-q", "-c", "--check"], input=bytes(raw), capture_output=True,
                       check=True).stdout
    return b"CHNK" + struct.pack("<IIIIQ", stream, len(z), len(raw), len(events), base) + z


def header():
    rest = struct.pack("<Q", 1)
    for s in (b"tracecraft", b"host", b"system", b"CLOCK_MONOTONIC"):
        rest += struct.pack("<H", len(s)) + s
    return b"SOAKTRC1" + struct.pack("<II", 1, len(rest)) + rest


def main():
    out, spec = sys.argv[1], json.loads(sys.argv[2])
    append = "--append" in sys.argv[3:]
    data, n, base = b"" if append else header(), 0, 1_000_000
    gap = spec.get("gap_ns", 1000)
    for c in spec["chunks"]:
        data += chunk(c["stream"], c["events"], base, gap)
        n += len(c["events"])
        base += gap * (len(c["events"]) + 1)
    if not append and spec.get("end", True):
        data += b"TEND" + struct.pack("<IQ", 0, n)
    with open(out, "ab" if append else "wb") as f:
        f.write(data)


main()
