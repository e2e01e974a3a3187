#!/usr/bin/env python3
"""The example files quoted in the docs, kept equal to the files.

A doc quotes a file with a marker line followed by a fenced block:

    <!-- example: examples/slurm/submit.sh -->
    ```bash
    ...the file, verbatim...
    ```

  scripts/doc-examples.py           checks: every marked block equals its file,
                                    and every file in a folder of examples/ is
                                    quoted by some doc (exit 1 and what differs)
  scripts/doc-examples.py --write   rewrites the marked blocks from the files

The files are what the tests run (tests/integration/test_slurm.sh runs
examples/slurm/); the docs show them, so the two cannot drift apart.
"""
import difflib
import os
import re
import sys

SRC = os.environ.get("SOAK_SRC") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))
MARK = re.compile(r"^<!-- example: (\S+) -->\n(```[a-z]*\n)(.*?)^```$", re.M | re.S)


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def example_files():
    """Every file in a folder below examples/ (the top-level .ini files are
    quoted in prose where they are explained, not whole)."""
    out = []
    for d in sorted(os.listdir(os.path.join(SRC, "examples"))):
        top = os.path.join(SRC, "examples", d)
        if not os.path.isdir(top):
            continue
        for root, _, files in os.walk(top):
            out += [os.path.relpath(os.path.join(root, f), SRC) for f in files]
    return sorted(out)


def main():
    write = sys.argv[1:] == ["--write"]
    if sys.argv[1:] not in ([], ["--write"]):
        print("usage: scripts/doc-examples.py [--write]", file=sys.stderr)
        return 2
    problems, quoted = [], set()
    for doc in DOCS:
        text = read(doc)

        def block(m):
            rel, fence, body = m.group(1), m.group(2), m.group(3)
            quoted.add(rel)
            if not os.path.isfile(os.path.join(SRC, rel)):
                problems.append(f"{doc}: quotes {rel}, which does not exist")
                return m.group(0)
            want = read(rel)
            if not want.endswith("\n"):
                want += "\n"
            if body != want:
                if not write:
                    diff = difflib.unified_diff(want.splitlines(), body.splitlines(), rel, doc, lineterm="", n=1)
                    problems.append(f"{doc}: the block of {rel} differs from the file "
                                    f"(scripts/doc-examples.py --write copies it):\n" + "\n".join(diff))
                return f"<!-- example: {rel} -->\n{fence}{want}```"
            return m.group(0)

        new = MARK.sub(block, text)
        if write and new != text:
            with open(os.path.join(SRC, doc), "w", encoding="utf-8") as f:
                f.write(new)
            print(f"{doc}: blocks rewritten from their files")
    for rel in example_files():
        if rel not in quoted:
            problems.append(f"{rel} is quoted by no doc: add '<!-- example: {rel} -->' and a block")
    for p in problems:
        print(p)
    return 1 if problems and not write else 0


if __name__ == "__main__":
    sys.exit(main())
