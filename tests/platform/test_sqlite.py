#!/usr/bin/env python3
"""tests/platform/test_sqlite.py -- Spin SQLite databases in `pyedge up`,
end to end: the SDK in the sandbox (tests/platform/apps/sqlite), the
host's "sqlite.*" services and the database files.

Covers every value type both ways, both SDK generations, transactions and
per-connection state across requests, grants and unknown labels, start-up
statements (--sqlite STMT and @FILE), SQL that must not reach the host
(ATTACH, VACUUM INTO, load_extension, PRAGMAs), limits (statement size,
value size, result size, time per statement, the request deadline),
DatabaseFull, concurrency, and hostile payloads sent straight through
_pyedge.call.

Usage: tests/platform/test_sqlite.py [-k SUBSTRING]... [-v]
"""

import base64
import json
import os
import sqlite3
import threading
import time

from platform_util import (CaseFailure, Runner, Server, check, copy_app, copy_example, eq, get_json,
                           post_ok, request, start_fails, tempdir)

T = Runner(__doc__.split("\n")[0])
_main = {}

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


def b64(b):
    return base64.b64encode(b).decode()


def main_server():
    if "srv" not in _main or not _main["srv"].alive():
        app = copy_app("sqlite")
        state = tempdir("pe-sql-state-")
        srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                           "--state-dir", state], name="sqlite")
        srv.start()
        _main.update(srv=srv, app=app, state=state)
    return _main["srv"]


def sql(srv, *stmts, db="default", path="/v3/sql", close_after=None, timeout=30):
    doc = {"db": db, "stmts": [[st[0], list(st[1]) if len(st) > 1 else []] for st in stmts]}
    if close_after is not None:
        doc["close_after"] = close_after
    d = post_ok(srv.port, path, doc, timeout=timeout)
    if "open_err" in d:
        raise CaseFailure(f"opening {db}: {d}")
    return d["results"]


def ok(result, what):
    if "err" in result:
        raise CaseFailure(f"{what}: {result}")
    return result


def err(result, kind, contains, what):
    check(isinstance(result, dict) and result.get("err") == kind and contains in (result.get("msg") or ""),
          f"{what}: expected {kind} containing {contains!r}, got {result}")


def raw(srv, script, path="/v3/raw"):
    return post_ok(srv.port, path, script)


def statuses(results):
    return [r["status"] for r in results]


# --- values and statements ---------------------------------------------------------------

@T.case
def sql_value_types_round_trip():
    s = main_server()
    values = [
        ["i", 0], ["i", 1], ["i", -1], ["i", I64_MAX], ["i", I64_MIN],
        ["r", 1.5], ["r", -0.25], ["r", 1e308], ["r", 5e-324],
        ["t", ""], ["t", "héllo ✓ 𝄞"], ["t", "nul\x00inside"], ["t", "'; DROP TABLE vals; --"],
        ["b", b64(b"")], ["b", b64(bytes(range(256)))],
        ["n"],
    ]
    stmts = [("DROP TABLE IF EXISTS vals",), ("CREATE TABLE vals (n INTEGER, v)",)]
    stmts += [("INSERT INTO vals VALUES (?, ?)", [["i", i], v]) for i, v in enumerate(values)]
    stmts += [("SELECT v, typeof(v) FROM vals ORDER BY n",)]
    r = sql(s, *stmts)
    for i, x in enumerate(r[:-1]):
        ok(x, f"statement {i}")
    rows = ok(r[-1], "select")["rows"]
    eq([row[0] for row in rows], values, "values back as sent")
    eq([row[1][1] for row in rows],
       ["integer"] * 5 + ["real"] * 4 + ["text"] * 4 + ["blob"] * 2 + ["null"], "SQLite types")
    eq(ok(r[-1], "select")["columns"], ["v", "typeof(v)"], "column names")
    # plain Python values are accepted as parameters too
    r = sql(s, ("SELECT ?, ?, ?, ?", [["raw", 7], ["raw", 2.5], ["raw", "s"], ["raw", None]]))
    eq(ok(r[0], "plain values")["rows"], [[["i", 7], ["r", 2.5], ["t", "s"], ["n"]]], "plain values")


@T.case
def sql_rows_columns_and_meta():
    s = main_server()
    r = sql(s, ("DROP TABLE IF EXISTS m",), ("CREATE TABLE m (id INTEGER PRIMARY KEY, name TEXT)",),
            ("INSERT INTO m (name) VALUES (?), (?), (?)", [["t", "a"], ["t", "b"], ["t", "c"]]),
            ("SELECT id AS ident, name FROM m ORDER BY id",),
            ("SELECT * FROM m WHERE id > 100",),
            ("UPDATE m SET name = upper(name) WHERE id >= ?", [["i", 2]]),
            ("SELECT 1",),
            ("-- only a comment",),
            ("DELETE FROM m",))
    eq(r[2]["changes"], 3, "changes after a 3-row insert")
    eq(r[2]["last_insert_rowid"], 3, "last_insert_rowid")
    eq(r[3]["columns"], ["ident", "name"], "aliased columns")
    eq(r[3]["rows"], [[["i", 1], ["t", "a"]], [["i", 2], ["t", "b"]], [["i", 3], ["t", "c"]]], "rows")
    eq((r[4]["columns"], r[4]["rows"]), (["id", "name"], []), "no rows, still columns")
    eq(r[5]["changes"], 2, "changes after update")
    eq(r[6]["changes"], 2, "a SELECT leaves changes alone")
    eq((r[7]["columns"], r[7]["rows"]), ([], []), "a statement of only a comment")
    eq(r[8]["changes"], 3, "delete")


@T.case
def sql_v4_async_api():
    s = main_server()
    d = get_json(s.port, "/v4/roundtrip")
    eq(d, {"columns": ["id", "name"], "rows": [[1, "a"], [2, "b"], [3, "c"]], "rowid": 3,
           "changes": 2, "columns2": ["name"], "first": ["a", "b"], "rest": ["c"], "done": True,
           "result": "Ok", "error": "Error_Io"}, "v4 round trip")


@T.case
def sql_errors_carry_sqlite_messages():
    s = main_server()
    r = sql(s, ("SELEC 1",), ("SELECT * FROM no_such_table",),
            ("DROP TABLE IF EXISTS u",), ("CREATE TABLE u (k TEXT UNIQUE)",),
            ("INSERT INTO u VALUES ('x')",), ("INSERT INTO u VALUES ('x')",),
            ("SELECT 1; SELECT 2",), ("SELECT ?",), ("SELECT 1", [["i", 1]]),
            ("SELECT ?", [["raw", 1 << 70]]))
    err(r[0], "Error_Io", 'near "SELEC": syntax error', "syntax error")
    err(r[1], "Error_Io", "no such table: no_such_table", "missing table")
    err(r[5], "Error_Io", "UNIQUE constraint failed: u.k", "constraint")
    err(r[6], "Error_Io", "one SQL statement", "two statements")
    err(r[7], "Error_Io", "takes 1 parameters, 0 were given", "too few parameters")
    err(r[8], "Error_Io", "too many parameters", "too many parameters")
    err(r[9], "OverflowError", "64-bit", "integer out of range")


@T.case
def sql_transactions_and_request_end():
    s = main_server()
    sql(s, ("DROP TABLE IF EXISTS tx",), ("CREATE TABLE tx (v)",))
    r = sql(s, ("BEGIN",), ("INSERT INTO tx VALUES (1)",), ("SELECT count(*) FROM tx",),
            ("ROLLBACK",), ("SELECT count(*) FROM tx",),
            ("BEGIN",), ("INSERT INTO tx VALUES (2)",), ("COMMIT",), ("SELECT v FROM tx",))
    eq(r[2]["rows"], [[["i", 1]]], "inside the transaction")
    eq(r[4]["rows"], [[["i", 0]]], "after rollback")
    eq(r[8]["rows"], [[["i", 2]]], "after commit")
    # a transaction left open is rolled back when the request ends, and
    # leaves no lock behind
    sql(s, ("BEGIN IMMEDIATE",), ("INSERT INTO tx VALUES (3)",))
    r = sql(s, ("SELECT v FROM tx ORDER BY v",), ("INSERT INTO tx VALUES (4)",))
    eq(r[0]["rows"], [[["i", 2]]], "the open transaction was rolled back")
    ok(r[1], "writing after it")
    # and closing a connection mid-transaction rolls back too
    r = sql(s, ("BEGIN",), ("INSERT INTO tx VALUES (5)",), ("SELECT 1",), close_after=2)
    err(r[2], "Error_InvalidConnection", "", "execute after close")
    eq(sql(s, ("SELECT count(*) FROM tx WHERE v = 5",))[0]["rows"], [[["i", 0]]], "closed mid-transaction")


@T.case
def sql_connection_state_is_per_request():
    s = main_server()
    r = sql(s, ("CREATE TEMP TABLE scratch (v)",), ("INSERT INTO scratch VALUES (1)",),
            ("SELECT v FROM scratch",), ("PRAGMA foreign_keys = ON",), ("PRAGMA foreign_keys",))
    eq(r[2]["rows"], [[["i", 1]]], "a TEMP table lives across one connection's statements")
    eq(r[4]["rows"], [[["i", 1]]], "foreign_keys on")
    for _ in range(3):  # whichever pooled connection the next request gets
        r = sql(s, ("SELECT v FROM scratch",), ("PRAGMA foreign_keys",))
        err(r[0], "Error_Io", "no such table: scratch", "TEMP table in a later request")
        eq(r[1]["rows"], [[["i", 0]]], "foreign_keys back to its default")


@T.case
def sql_database_full():
    s = main_server()
    r = sql(s, ("DROP TABLE IF EXISTS full",), ("CREATE TABLE full (b BLOB)",), ("PRAGMA page_count",))
    pages = r[2]["rows"][0][0][1]
    r = sql(s, (f"PRAGMA max_page_count = {pages + 2}",),
            ("INSERT INTO full VALUES (zeroblob(100000))",), ("SELECT count(*) FROM full",))
    err(r[1], "Error_DatabaseFull", "", "insert past max_page_count")
    eq(r[2]["rows"], [[["i", 0]]], "nothing was inserted")
    r = sql(s, ("INSERT INTO full VALUES (zeroblob(100000))",), ("DELETE FROM full",))
    ok(r[0], "the limit was per connection and is gone")


@T.case
def sql_access_and_labels():
    s = main_server()
    d = post_ok(s.port, "/none/sql", {"db": "default", "stmts": []})
    eq(d, {"open_err": "Error_AccessDenied", "msg": None}, "component without sqlite_databases")
    d = post_ok(s.port, "/v3/sql", {"db": "secret", "stmts": []})
    eq(d, {"open_err": "Error_AccessDenied", "msg": None}, "defined but not granted")
    d = post_ok(s.port, "/v3/sql", {"db": "nope", "stmts": []})
    eq(d, {"open_err": "Error_NoSuchDatabase", "msg": None}, "defined nowhere")
    sql(s, ("CREATE TABLE IF NOT EXISTS where_am_i (v)",), ("DELETE FROM where_am_i",),
        ("INSERT INTO where_am_i VALUES ('default')",))
    sql(s, ("CREATE TABLE IF NOT EXISTS where_am_i (v)",), ("DELETE FROM where_am_i",),
        ("INSERT INTO where_am_i VALUES ('other')",), db="other")
    sql(s, ("CREATE TABLE IF NOT EXISTS where_am_i (v)",), ("DELETE FROM where_am_i",),
        ("INSERT INTO where_am_i VALUES ('mem')",), db="mem")
    for db in ("default", "other", "mem"):
        eq(sql(s, ("SELECT v FROM where_am_i",), db=db)[0]["rows"], [[["t", db]]], f"database {db}")
    # in memory: no TEMP objects and no connection PRAGMAs (its one connection is shared)
    r = sql(s, ("CREATE TEMP TABLE t (v)",), ("PRAGMA foreign_keys = ON",), db="mem")
    err(r[0], "Error_Io", "TEMP objects are not allowed on an in-memory database", "TEMP in memory")
    err(r[1], "Error_Io", "cannot be changed on an in-memory database", "PRAGMA in memory")
    other = os.path.join(_main["app"], "other.db")  # relative to the runtime config file
    check(os.path.exists(other), f"{other} does not exist")
    check(os.path.exists(os.path.join(_main["state"], "sqlite_db.db")), "default database file")


# --- guards ------------------------------------------------------------------------------

@T.case
def sql_cannot_reach_host_files():
    s = main_server()
    target = os.path.join(tempdir("pe-sql-escape-"), "copy.db")
    r = sql(s, ("ATTACH '/etc/passwd' AS p",), ("ATTACH 'file:/etc/passwd?mode=ro' AS p",),
            ("ATTACH ':memory:' AS m",), (f"VACUUM INTO '{target}'",), ("VACUUM",),
            ("DETACH main",), ("SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')",),
            ("PRAGMA database_list",), ("SELECT * FROM pragma_database_list",),
            ("PRAGMA temp_store_directory = '/tmp'",), ("PRAGMA writable_schema = ON",),
            ("PRAGMA journal_mode = DELETE",), ("PRAGMA synchronous = OFF",),
            ("PRAGMA mmap_size = 1000000",), ("PRAGMA compile_options",),
            ("PRAGMA journal_mode",), ("PRAGMA user_version = 7",), ("PRAGMA user_version",),
            ("SELECT * FROM pragma_table_info('vals')",))
    for i in range(3):
        err(r[i], "Error_Io", "ATTACH, DETACH and VACUUM are not allowed", f"attach {i}")
    err(r[3], "Error_Io", "not allowed", "VACUUM INTO")
    check(not os.path.exists(target), "VACUUM INTO wrote a host file")
    err(r[4], "Error_Io", "not allowed", "VACUUM")
    err(r[5], "Error_Io", "not allowed", "DETACH")
    err(r[6], "Error_Io", "not authorized", "load_extension")
    for i, name in ((7, "database_list"), (8, "database_list"), (9, "temp_store_directory"),
                    (10, "writable_schema"), (13, "mmap_size"), (14, "compile_options")):
        err(r[i], "Error_Io", f"PRAGMA {name} is not allowed", name)
    err(r[11], "Error_Io", "PRAGMA journal_mode may only be read", "journal_mode = DELETE")
    err(r[12], "Error_Io", "PRAGMA synchronous may only be read", "synchronous = OFF")
    eq(r[15]["rows"], [[["t", "wal"]]], "journal_mode read")
    ok(r[16], "user_version set")
    eq(r[17]["rows"], [[["i", 7]]], "user_version read")
    ok(r[18], "table-valued pragma_table_info")


@T.case
def sql_size_limits():
    s = main_server()
    big_stmt = "SELECT 1 -- " + "x" * (1 << 20)
    r = sql(s, (big_stmt,), ("SELECT zeroblob(20000000)",), ("SELECT length(?)", [["b", b64(b"x" * (2 << 20))]]),
            ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20) "
             "SELECT zeroblob(1000000) FROM c",),
            ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10) "
             "SELECT zeroblob(1000000) FROM c",))
    err(r[0], "Error_Io", "limit", "statement over 1 MiB")
    err(r[1], "Error_Io", "too big", "a 20 MB value")
    eq(r[2]["rows"], [[["i", 2 << 20]]], "a 2 MiB parameter")
    err(r[3], "Error_Io", "larger than 16 MiB", "a 20 MB result")
    eq(len(r[4]["rows"]), 10, "a 10 MB result")


@T.case
def sql_statement_time_limit():
    app = copy_app("sqlite")
    os.environ["PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS"] = "500"
    try:
        srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                           "--state-dir", tempdir("pe-sql-tl-")], name="sql-time-limit")
        srv.start()
    finally:
        del os.environ["PYEDGE_SQLITE_STATEMENT_TIMEOUT_MS"]
    try:
        t0 = time.monotonic()
        r = sql(srv, ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
                      "SELECT count(*) FROM c",), ("SELECT 42",))
        took = time.monotonic() - t0
        err(r[0], "Error_Io", "ran past its time limit", "runaway query")
        eq(r[1]["rows"], [[["i", 42]]], "the connection works afterwards")
        check(0.4 < took < 5, f"stopped after {took:.2f} s (limit 0.5 s)")
    finally:
        srv.stop()


@T.case
def sql_request_deadline_stops_statement():
    app = copy_app("sqlite")
    srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                       "--state-dir", tempdir("pe-sql-dl-"), "--request-timeout", "1"],
                 name="sql-deadline")
    srv.start()
    try:
        t0 = time.monotonic()
        r = request(srv.port, "POST", "/v3/sql", body=(
            b'{"stmts": [["WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) '
            b'SELECT count(*) FROM c", []]]}'), timeout=20)
        took = time.monotonic() - t0
        # the statement stops at the deadline; whether the guest still gets
        # to answer (with the error) before the runtime stops it is a race
        check(r.status == 504 or (r.status == 200 and b"the request's deadline passed" in r.body),
              f"status {r.status}, body {r.body[:200]!r}")
        check(0.9 < took < 3, f"took {took:.2f} s with a 1 s request timeout")
        r = request(srv.port, "POST", "/v3/sql", body=b'{"stmts": [["SELECT 1", []]]}')
        eq(r.status, 200, "the next request")
    finally:
        srv.stop()


# --- start-up ------------------------------------------------------------------------------

@T.case
def sql_startup_statements():
    app = copy_app("sqlite")
    state = tempdir("pe-sql-mig-")
    mig = os.path.join(tempdir("pe-sql-migfile-"), "migrations.sql")
    with open(mig, "w") as f:
        f.write("-- a migration file\nCREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT);\n"
                "INSERT INTO items (name) VALUES ('from file');\n")
    srv = Server(app, ["--runtime-config-file", os.path.join(app, "runtime-config.toml"),
                       "--state-dir", state, "--sqlite", f"@{mig}",
                       "--sqlite", "INSERT INTO items (name) VALUES ('from option')",
                       "--sqlite", "PRAGMA user_version = 3"], name="sql-mig")
    srv.start()
    try:
        r = sql(srv, ("SELECT name FROM items ORDER BY id",), ("PRAGMA user_version",))
        eq(r[0]["rows"], [[["t", "from file"]], [["t", "from option"]]], "statements ran in order")
        eq(r[1]["rows"], [[["i", 3]]], "operator PRAGMAs are allowed")
    finally:
        srv.stop()
    con = sqlite3.connect(os.path.join(state, "sqlite_db.db"))
    eq(con.execute("SELECT count(*) FROM items").fetchone()[0], 2, "rows on disk")
    con.close()
    rc = os.path.join(app, "runtime-config.toml")
    e = start_fails(app, ["--runtime-config-file", rc, "--state-dir", state,
                          "--sqlite", "CREATE TABLE ok1 (v)", "--sqlite", "INSERT INTO nowhere VALUES (1)"])
    check("--sqlite INSERT INTO nowhere VALUES (1): no such table: nowhere" in e, f"failing statement: {e[-300:]}")
    e = start_fails(app, ["--runtime-config-file", rc, "--state-dir", state, "--sqlite", "@/no/such/file.sql"])
    check("--sqlite @/no/such/file.sql: cannot open /no/such/file.sql" in e, f"missing file: {e[-300:]}")


@T.case
def sql_undefined_label_stops_up():
    app = copy_app("sqlite")
    e = start_fails(app, ["--state-dir", tempdir("pe-sql-")])
    check("component 'sql3' uses SQLite database 'other', which is not defined" in e, f"message: {e[-300:]}")
    rc = os.path.join(app, "bad.toml")
    with open(rc, "w") as f:
        f.write('[sqlite_database.other]\ntype = "redis"\nurl = "redis://x"\n')
    e = start_fails(app, ["--runtime-config-file", rc])
    check("bad.toml:2: unknown SQLite database type 'redis'" in e, f"message: {e[-300:]}")


# --- concurrency -----------------------------------------------------------------------------

@T.case
def sql_concurrent_writers():
    s = main_server()
    sql(s, ("DROP TABLE IF EXISTS conc",), ("CREATE TABLE conc (t INTEGER, i INTEGER)",))
    threads, per = 8, 12
    errors = []

    def worker(t):
        for i in range(per):
            try:
                r = sql(s, ("INSERT INTO conc VALUES (?, ?)", [["i", t], ["i", i]]),
                        ("SELECT count(*) FROM conc WHERE t = ?", [["i", t]]))
                if "err" in r[0] or r[1]["rows"] != [[["i", i + 1]]]:
                    errors.append(r)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    eq(errors, [], "errors")
    eq(sql(s, ("SELECT count(*) FROM conc",))[0]["rows"], [[["i", threads * per]]], "rows")


# --- hostile payloads ---------------------------------------------------------------------------

@T.case
def sql_raw_malformed_payloads():
    s = main_server()
    open_default = {"svc": "sqlite.open", "blobs": [{"str": "default"}]}
    r = raw(s, [
        {"svc": "sqlite.execute", "raw": b64(b"junk")},                                   # 0
        {"svc": "sqlite.open", "raw": b64(b"")},                                           # 1
        {"svc": "sqlite.open", "blobs": [{"b64": b64(b"def\x00ault")}]},                   # 2
        {"svc": "sqlite.open", "blobs": [{"str": "default"}], "pad": 0xFFFFFFFF},          # 3
        {"svc": "sqlite.execute", "blobs": [{"u64": 1}, {"str": "SELECT 1"}]},             # 4: never opened
        open_default,                                                                      # 5
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}]},                                  # 6: no statement
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"b64": b64(b"SELECT 1\x00; DROP")}]},  # 7
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"b64": b64(b"SELECT '\xff'")}]},  # 8
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"}, {"b64": b64(b"")}]},  # 9
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"}, {"b64": b64(b"i\x01")}]},  # 10
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"}, {"b64": b64(b"z")}]},  # 11
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"}, {"b64": b64(b"t\xc3")}]},  # 12
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"}, {"b64": b64(b"nX")}]},  # 13
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"},
                                             {"b64": b64(b"i" + (5).to_bytes(8, "little"))}]},  # 14
        {"svc": "sqlite.execute", "blobs": [{"ref": 5}, {"str": "SELECT ?"},
                                             {"b64": b64(b"t\x00\x01")}]},                 # 15: NUL in text
        {"svc": "sqlite.nope", "blobs": []},                                               # 16
        {"svc": "sqlite.close", "blobs": [{"ref": 5}, {"str": "x"}]},                      # 17
        {"svc": "sqlite.execute", "blobs": [{"b64": b64(b"\x05\x00")}, {"str": "SELECT 1"}]},  # 18
    ])
    eq(statuses(r), [3, 3, 3, 3, 2, 0, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 7, 3, 3],
       f"statuses: {[(i, x) for i, x in enumerate(r)]}")
    check(s.alive(), "server alive")


@T.case
def sql_raw_handles_and_reply_format():
    s = main_server()
    r = raw(s, [
        {"svc": "sqlite.open", "blobs": [{"str": "default"}]},                                # 0
        {"svc": "sqlite.execute", "blobs": [{"ref": 0}, {"str": "SELECT 7 AS seven, 'x', NULL"}]},  # 1
        {"svc": "sqlite.close", "blobs": [{"ref": 0}]},                                       # 2
        {"svc": "sqlite.execute", "blobs": [{"ref": 0}, {"str": "SELECT 1"}]},                # 3
        {"svc": "sqlite.close", "blobs": [{"ref": 0}]},                                       # 4
    ] + [{"svc": "sqlite.open", "blobs": [{"str": "mem"}]} for _ in range(33)])               # 5..37
    eq(statuses(r), [0, 0, 0, 2, 2] + [0] * 32 + [6], "statuses")
    blobs = [base64.b64decode(b) for b in r[1]["blobs"]]
    eq(blobs[2], (3).to_bytes(8, "little"), "ncols")
    eq(blobs[3:6], [b"seven", b"'x'", b"NULL"], "column names")
    eq(blobs[6:], [b"i" + (7).to_bytes(8, "little"), b"tx", b"n"], "values")
    old = r[0]["blobs"][0]
    r2 = raw(s, [{"svc": "sqlite.execute", "blobs": [{"b64": old}, {"str": "SELECT 1"}]}])
    eq(statuses(r2), [2], "a handle from an earlier request")


# --- examples/sqlite-todo -----------------------------------------------------------------------

def todo_req(srv, method, path, doc=None, raw_body=None):
    body = raw_body if raw_body is not None else (json.dumps(doc).encode() if doc is not None else None)
    r = request(srv.port, method, path, body=body)
    return r.status, (json.loads(r.body) if r.body else None), r


@T.case
def example_sqlite_todo():
    app = copy_example("sqlite-todo")
    srv = Server(app, ["--sqlite", "@" + os.path.join(app, "migrations.sql")], name="sqlite-todo")
    srv.start()
    try:
        eq(todo_req(srv, "GET", "/todos")[:2], (200, []), "empty list")
        st, a, r = todo_req(srv, "POST", "/todos", {"title": "water the plants"})
        eq(st, 201, "create")
        eq((a["id"], a["title"], a["done"]), (1, "water the plants", False), "created todo")
        eq(r.header("location"), "/todos/1", "location")
        check(a["created_at"].endswith("Z") and len(a["created_at"]) == 20, f"created_at {a['created_at']}")
        evil = "'); DROP TABLE todos; --"
        st, b, _ = todo_req(srv, "POST", "/todos", {"title": evil, "done": True})
        eq((st, b["title"], b["done"]), (201, evil, True), "a title that looks like SQL")
        st, lst, _ = todo_req(srv, "GET", "/todos")
        eq([t["title"] for t in lst], ["water the plants", evil], "list")
        eq(todo_req(srv, "GET", "/todos/2")[1]["title"], evil, "get one")
        st, u, _ = todo_req(srv, "PATCH", "/todos/1", {"done": True, "title": "  water them  "})
        eq((st, u["done"], u["title"]), (200, True, "water them"), "patch")
        eq(todo_req(srv, "DELETE", "/todos/2")[0], 204, "delete")
        eq(todo_req(srv, "DELETE", "/todos/2")[0], 404, "delete again")
        eq(todo_req(srv, "GET", "/todos/2")[0], 404, "get deleted")
        eq(todo_req(srv, "PATCH", "/todos/9", {"done": True})[0], 404, "patch missing")
        eq(todo_req(srv, "GET", "/todos/abc")[0], 404, "non-numeric id")
        for doc, raw_body in (({"title": ""}, None), ({"title": 5}, None), ({"title": "x" * 501}, None),
                              ({"title": "ok", "done": "yes"}, None), ({"title": "ok", "x": 1}, None),
                              (None, b"not json"), ([1, 2], None)):
            st, e, _ = todo_req(srv, "POST", "/todos", doc, raw_body)
            check(st == 400 and "error" in e, f"bad body {doc or raw_body!r}: {st} {e}")
        eq(todo_req(srv, "PUT", "/todos")[0], 405, "PUT /todos")
        eq([t["id"] for t in todo_req(srv, "GET", "/todos")[1]], [1], "final list")
    finally:
        srv.stop()
    # the app creates its table itself when started without the migration
    app2 = copy_example("sqlite-todo")
    srv = Server(app2, [], name="sqlite-todo-bare")
    srv.start()
    try:
        eq(todo_req(srv, "POST", "/todos", {"title": "no migration"})[0], 201, "create without --sqlite")
    finally:
        srv.stop()


if __name__ == "__main__":
    raise SystemExit(T.main())
