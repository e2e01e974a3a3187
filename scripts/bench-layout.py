#!/usr/bin/env python3
"""Compares the two one-row-per-sample layouts of the samples table on real samples.

usage: scripts/bench-layout.py SOURCE.db [RUN_ID]

SOURCE.db is a database with the samples of a real run (any schema: it is read
through the samples_named view). The run's samples are written again, tick by
tick, in batches of 10 rows per transaction (the runner commits every 100 ms,
i.e. every 10 samples at 10 ms), into two fresh files:

  columns  sample_rows(run_id, t, v0..v63 REAL), one REAL column per metric the
           run measured; NULL = unmeasured. REAL affinity stores whole numbers
           as 1-8 byte integers.
  blob     sample_blobs(run_id, t, data BLOB): a version byte, then for each
           metric whose value changed since the previous tick: the column
           number as a delta varint and the value (tag 0 NULL, tag 1 zigzag
           varint integer, tag 2 8-byte double).

It prints bytes per sample (file size after a checkpoint, divided by the rows)
and the CPU time of the inserts alone (prepared statement, executemany; the
blob's encoding is done beforehand and not counted, so the blob's insert time
is a lower bound).
"""
import os, sqlite3, struct, sys, tempfile, time

src = sys.argv[1]
c = sqlite3.connect(src)
run = int(sys.argv[2]) if len(sys.argv) > 2 else c.execute(
    "select run_id from samples_named group by run_id order by count(*) desc limit 1").fetchone()[0]
metrics = [m for (m,) in c.execute(
    "select distinct metric from samples_named where run_id=? and value is not null order by metric", (run,))]
col = {m: i for i, m in enumerate(metrics)}
ticks = {}
for m, t, v in c.execute("select metric, t, value from samples_named where run_id=?", (run,)):
    if m in col:
        ticks.setdefault(t, [None] * len(metrics))[col[m]] = v
rows = sorted(ticks.items())
c.close()
n = len(rows)


def varint(u, out):
    while u >= 0x80:
        out.append((u & 0x7f) | 0x80)
        u >>= 7
    out.append(u)


def encode(prev, cur):
    out = bytearray([1])
    last = -1
    for i, (a, b) in enumerate(zip(prev, cur)):
        if a == b and (a is None) == (b is None):
            continue
        varint(i - last - 1, out)
        last = i
        if b is None:
            out.append(0)
        elif float(b).is_integer() and abs(b) < 2**62:
            out.append(1)
            z = int(b)
            varint((z << 1) ^ (z >> 63), out)
        else:
            out.append(2)
            out += struct.pack("<d", b)
    return bytes(out)


def measure(name, ddl, sql, params):
    d = tempfile.mkdtemp(prefix="soak-layout.")
    path = os.path.join(d, name + ".db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=normal")
    db.executescript(ddl)
    cpu = time.process_time()
    for i in range(0, len(params), 10):
        db.execute("begin immediate")
        db.executemany(sql, params[i:i + 10])
        db.execute("commit")
    cpu = time.process_time() - cpu
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    size = os.path.getsize(path)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)
    return size, cpu


cols = ", ".join(f"v{i} REAL" for i in range(64))
ddl_cols = f"create table sample_rows (run_id integer not null, t real not null, {cols}, primary key (run_id, t)) without rowid;"
sql_cols = (f"insert into sample_rows(run_id, t, {', '.join(f'v{i}' for i in range(len(metrics)))}) "
            f"values (?, ?{', ?' * len(metrics)})")
p_cols = [(1, t, *v) for t, v in rows]

ddl_cols_rowid = (f"create table sample_rows (run_id integer not null, t real not null, {cols});"
                  "create unique index sample_rows_t on sample_rows(run_id, t);")
ddl_cols_nopk = f"create table sample_rows (run_id integer not null, t real not null, {cols});"

ddl_blob = "create table sample_blobs (run_id integer not null, t real not null, data blob, primary key (run_id, t)) without rowid;"
sql_blob = "insert into sample_blobs(run_id, t, data) values (?, ?, ?)"
p_blob, prev = [], [None] * len(metrics)
for t, v in rows:
    p_blob.append((1, t, encode(prev, v)))
    prev = v

print(f"run {run} of {src}: {n} samples, {len(metrics)} measured metrics")
print("| layout | bytes per sample | MB per hour at 10 ms | insert CPU per sample (µs, Python) |")
print("|---|---|---|---|")
for name, ddl, sql, params in (("columns", ddl_cols, sql_cols, p_cols),
                                ("columns, rowid table + index (run_id, t)", ddl_cols_rowid, sql_cols, p_cols),
                                ("columns, rowid table, no index", ddl_cols_nopk, sql_cols, p_cols),
                                ("blob", ddl_blob, sql_blob, p_blob)):
    size, cpu = measure(name, ddl, sql, params)
    # The empty schema is a few pages: count only what the rows add.
    base, _ = measure("empty", ddl, sql, [])
    per = (size - base) / n
    print(f"| {name} | {per:.0f} | {per * 360000 / 1e6:.1f} | {cpu / n * 1e6:.1f} |")
