#!/usr/bin/env python3
"""Fails when an #include runs against the layer order of the source tree.

Layers, lowest first (docs/architecture.md draws them): a file may include
headers of its own folder and of folders on lower layers, never of a folder on
its own layer or above. Headers are found by their name as the build finds
them (each folder is an include directory), so every header name must be
unique across the folders; the check says so when it is not.
Usage: scripts/check-includes.py [SOURCE_DIR]; exit 0 clean, 1 violations.
"""
import os
import re
import sys

LAYERS = [
    ("common", "include/soak"),       # histogram, parsers, text, files
    ("cgroup",),                      # detection, placement, name table
    ("probes", "db"),                 # sampling; the only code that talks SQL
    ("workloads", "reports"),         # the worker; pure statistics and emitters
    ("runner",),                      # the run engine
    ("cli",),                         # soakctl's commands
]
RANK = {d: i for i, ds in enumerate(LAYERS) for d in ds}
# One room in two folders: common/'s public headers live in include/soak/.
ROOM = {"include/soak": "common"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    """The layer folder a source file belongs to (None: not layered)."""
    for d in sorted(RANK, key=len, reverse=True):
        if path == d or path.startswith(d + "/"):
            return d
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    os.chdir(root)
    headers, sources = {}, []
    for d in RANK:
        for dirpath, _, names in os.walk(d):
            if "/bench" in dirpath:   # benchmarks may reach anywhere below them
                continue
            for n in names:
                p = os.path.join(dirpath, n)
                if n.endswith(".h"):
                    key = os.path.relpath(p, "include") if d == "include/soak" else n
                    if key in headers:
                        print(f"check-includes: header name {key} in both {headers[key]} and {p}: "
                              "rename one (headers are found by name)")
                        return 1
                    headers[key] = p
                if n.endswith((".c", ".h")):
                    sources.append(p)
    bad = 0
    for src in sorted(sources):
        own = folder_of(src)
        with open(src, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            name = m.group(1)
            hdr = headers.get(name) or headers.get(os.path.basename(name))
            if hdr is None:
                continue          # a system or generated header
            to = folder_of(hdr)
            if ROOM.get(to, to) == ROOM.get(own, own) or RANK[to] < RANK[own]:
                continue
            line = text.count("\n", 0, m.start()) + 1
            why = "the same layer as" if RANK[to] == RANK[own] else "a higher layer than"
            print(f"{src}:{line}: includes {hdr} ({to}/ is on {why} {own}/): "
                  "imports run cli -> runner -> reports, workloads -> probes, db -> cgroup -> common")
            bad += 1
    if bad:
        print(f"check-includes: {bad} include(s) against the layer order")
        return 1
    print(f"check-includes: {len(sources)} files, every include runs down the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
