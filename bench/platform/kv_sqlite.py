#!/usr/bin/env python3
"""bench/platform/kv_sqlite.py -- the cost of one key-value or SQLite call
from inside the sandbox, against the same operation from native host Python
(the sqlite3 module on a database file set up the same way), in one run.

The sandbox side is bench/platform/kv_sqlite_app served by `pyedge up`: one
request makes N calls through spin_sdk (key_value.Store.get/set,
sqlite.Connection.execute) and reports its own time.perf_counter() figure,
so HTTP and sandbox creation are not counted; a first request warms up.
The host side runs the SQL those calls run in the host (the key-value
table's SELECT and INSERT ... ON CONFLICT, the query) with sqlite3 on files
in WAL mode with synchronous=FULL, as pyedge opens them.

Operations:
  floor        a host call that does nothing (sandbox only): the price of
               crossing into the host and back, payload and reply included
  kv_get       get of a 100-byte value
  kv_set       set of a 100-byte value (a durable commit: fsync of the WAL)
  sql_point    SELECT of one row by primary key, one integer parameter
  sql_scan100  SELECT of 100 rows (3 columns)
  *_raw        the same host call with a ready payload, no SDK code: the
               host's share (compared with the same host figure)

Prints microseconds per call and the ratio sandbox / host (lower is
better), then the same calls from as many simultaneous requests as there
are CPUs: with the connection pools, kv_get and sql_point should scale as
well as `floor`, which takes no lock at all (on a loaded machine none of
them scales).
Not a test: numbers vary with the machine's load and its disk.

Usage: bench/platform/kv_sqlite.py [N]   (default 2000; kv_set uses N/4)
Environment: PYEDGE (default build/pyedge).
"""

import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))

from drive import Server, request  # noqa: E402

VALUE = b"v" * 100


def setup_items(path):
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
    con.execute("DELETE FROM items")
    con.executemany("INSERT INTO items VALUES (?, ?, ?)",
                    [(i, f"item-{i}", i * 0.5) for i in range(1, 1001)])
    con.close()


def host_times(state, n):
    """Seconds per call for each op, sqlite3 on files like pyedge's."""
    kv = sqlite3.connect(os.path.join(state, "host_kv.db"), isolation_level=None)
    kv.execute("PRAGMA journal_mode=WAL")
    kv.execute("PRAGMA synchronous=FULL")
    kv.execute("CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL,"
               " value BLOB NOT NULL, PRIMARY KEY (store, key))")
    kv.execute("INSERT OR REPLACE INTO spin_key_value VALUES ('default', 'bench-key', ?)", (VALUE,))
    db_path = os.path.join(state, "host_db.db")
    setup_items(db_path)
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    out = {}

    def timed(name, count, fn):
        fn(0)
        t0 = time.perf_counter()
        for i in range(count):
            fn(i)
        out[name] = (time.perf_counter() - t0) / count

    timed("kv_get", n, lambda i: kv.execute(
        "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2",
        ("default", "bench-key")).fetchone())
    timed("kv_set", max(n // 4, 1), lambda i: kv.execute(
        "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        ("default", "bench-set", VALUE)))
    timed("sql_point", n, lambda i: db.execute(
        "SELECT id, name, score FROM items WHERE id = ?", (i % 1000 + 1,)).fetchall())
    timed("sql_scan100", max(n // 4, 1), lambda i: db.execute(
        "SELECT id, name, score FROM items WHERE id > ? LIMIT 100", (i % 900,)).fetchall())
    kv.close()
    db.close()
    return out


def sandbox_times(srv, n):
    out = {}
    for op, count in (("floor", n), ("kv_get", n), ("kv_get_raw", n), ("kv_set", max(n // 4, 1)),
                      ("sql_point", n), ("sql_point_raw", n), ("sql_scan100", max(n // 4, 1))):
        request(srv.port, "GET", f"/run?op={op}&n=10", timeout=60)  # warm-up
        r = request(srv.port, "GET", f"/run?op={op}&n={count}", timeout=300)
        if r.status != 200:
            raise SystemExit(f"{op}: status {r.status}: {r.body[:300]!r}")
        out[op] = json.loads(r.body)["seconds"] / count
    return out


def parallel_times(srv, n, k):
    """k requests at once, each making n calls: wall time per call overall
    (the pool lets worker threads use the same database at the same time)."""
    out = {}
    for op, count in (("floor", n * 50), ("kv_get", n), ("sql_point", n)):  # floor: the control
        errors = []

        def one():
            r = request(srv.port, "GET", f"/run?op={op}&n={count}", timeout=300)
            if r.status != 200:
                errors.append(r.status)

        ts = [threading.Thread(target=one) for _ in range(k)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise SystemExit(f"parallel {op}: statuses {errors}")
        out[op] = (time.perf_counter() - t0) / (count * k)
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    state = tempfile.mkdtemp(prefix="pe-bench-kvsql-")
    try:
        app = os.path.join(state, "app")
        shutil.copytree(os.path.join(HERE, "kv_sqlite_app"), app)
        srv_state = os.path.join(state, "spin")
        os.makedirs(srv_state)
        setup_items(os.path.join(srv_state, "sqlite_db.db"))
        srv = Server(app, ["--state-dir", srv_state, "--key-value", "bench-key=" + VALUE.decode(),
                           "--quiet"], name="bench")
        srv.start()
        try:
            inside = sandbox_times(srv, n)
            k = os.cpu_count() or 2
            par = parallel_times(srv, n, k)
        finally:
            srv.stop()
        host = host_times(state, n)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print(f"per call, N={n} (kv_set and sql_scan100: N/4); ratio = sandbox / host python3 sqlite3")
    print(f"  {'op':<12} {'sandbox':>12} {'host':>12} {'ratio':>7}")
    for op in ("floor", "kv_get", "kv_get_raw", "kv_set", "sql_point", "sql_point_raw", "sql_scan100"):
        s = inside[op] * 1e6
        h_op = op[:-4] if op.endswith("_raw") else op
        if h_op in host:
            h = host[h_op] * 1e6
            print(f"  {op:<12} {s:>9.2f} us {h:>9.2f} us {s / h:>7.2f}")
        else:
            print(f"  {op:<12} {s:>9.2f} us {'-':>12} {'-':>7}")
    print(f"{k} requests at once ({k} CPUs), N calls each: wall time per call overall "
          f"(vs one request alone)")
    for op, t in par.items():
        print(f"  {op:<12} {t * 1e6:>9.2f} us   (alone {inside[op] * 1e6:.2f} us, "
              f"speed-up {inside[op] / t:.2f}x)")


if __name__ == "__main__":
    main()
