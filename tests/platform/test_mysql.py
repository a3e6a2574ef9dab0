#!/usr/bin/env python3
"""tests/platform/test_mysql.py -- outbound MySQL in `pyedge up`, end to end:
spin_sdk.mysql in the sandbox (tests/platform/apps/mysql), the host's
"mysql.*" services and libmariadb, against a real MariaDB server the test
starts on a free loopback port in a temporary directory.

Covers every value type both ways (signed and unsigned integers of each
size, floats, text, binary, NULL) in both SDK generations, errors (SQL
errors with the server's message, parameter count mismatch, bad
parameters), denied, refused and silent servers, refused addresses, LOAD
DATA LOCAL refused, the request deadline killing a SLEEP on the server,
result limits, concurrent requests, the per-request connection limit, a
connection kept in a global (and a reused instance), the SDK's example app
shape, and hostile payloads sent straight through _pyedge.call.

Usage: tests/platform/test_mysql.py [-k SUBSTRING]... [-v]
"""

import base64
import json
import os
import socket
import subprocess
import threading
import time
from urllib.parse import quote

from platform_util import (HOST, CaseFailure, Runner, Server, check, copy_app, eq, free_port,
                           post_ok, request, tempdir)

import drive

T = Runner(__doc__.split("\n")[0])

PASSWORD = "s3cret p@ss:/"


class MariaDB:
    """A private mariadbd on 127.0.0.1 (and a socket in its directory)."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempdir("pe-my-")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.proc = None

    def start(self):
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}",
                        "--auth-root-authentication-method=normal", "--skip-test-db", *user],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # TLS with a throw-away self-signed certificate, for ssl-mode=REQUIRED
        cert, key = os.path.join(self.dir, "server.crt"), os.path.join(self.dir, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.data}", f"--socket={self.sock}",
             f"--ssl-cert={cert}", f"--ssl-key={key}",
             f"--port={self.port}", f"--bind-address={HOST}", "--skip-name-resolve",
             "--innodb-buffer-pool-size=16M", "--skip-log-bin", f"--pid-file={self.dir}/pid",
             "--local-infile=1", *user],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=drive._die_with_driver)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CaseFailure(f"mariadbd exited with {self.proc.returncode}")
            try:
                self.sql("CREATE DATABASE app CHARACTER SET utf8mb4; CREATE USER 'app'@'%' IDENTIFIED BY "
                         f"'{PASSWORD}'; GRANT ALL ON *.* TO 'app'@'%'")
                return self
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        raise CaseFailure("mariadbd did not start within 60 s")

    def sql(self, text, db=""):
        return subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-N",
                               "-B", "-e", text, *([db] if db else [])],
                              check=True, capture_output=True, text=True).stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def url(self, host=HOST, port=None, password=PASSWORD, db="app"):
        return (f"mysql://app:{quote(password, safe='')}@{host}:{port or self.port}/{db}")


_main = {}


def env():
    if "srv" not in _main or not _main["srv"].alive():
        if "db" not in _main:
            _main["db"] = MariaDB().start()
            T.cleanups.append(_main["db"].stop)
        app = copy_app("mysql")
        srv = Server(app, ["--request-timeout", "3"], name="mysql")
        srv.start()
        _main.update(srv=srv, app=app)
    return _main["srv"], _main["db"]


def ops(gen, conn, *operations, path=None):
    srv, _ = env()
    doc = post_ok(srv.port, path or f"/{gen}/ops", {"conn": conn, "ops": [list(o) for o in operations]})
    if "open_err" in doc:
        raise CaseFailure(f"open failed: {doc}")
    return doc["results"]


def open_err(gen, conn, path=None):
    srv, _ = env()
    doc = post_ok(srv.port, path or f"/{gen}/ops", {"conn": conn, "ops": []})
    check("open_err" in doc, f"expected the open to fail: {doc}")
    return doc["open_err"]


def b64(b):
    return base64.b64encode(b).decode()


# (parameter, column type, expected value, expected column type)
VALUES = [
    (["Boolean", True], "BOOLEAN", ["DbValue_Int8", 1], "INT8"),
    (["Int8", -128], "TINYINT", ["DbValue_Int8", -128], "INT8"),
    (["Int16", -32768], "SMALLINT", ["DbValue_Int16", -32768], "INT16"),
    (["Int32", -2147483648], "INT", ["DbValue_Int32", -2147483648], "INT32"),
    (["Int32", 8388607], "MEDIUMINT", ["DbValue_Int32", 8388607], "INT32"),
    (["Int64", -9223372036854775808], "BIGINT", ["DbValue_Int64", -9223372036854775808], "INT64"),
    (["Uint8", 255], "TINYINT UNSIGNED", ["DbValue_Uint8", 255], "UINT8"),
    (["Uint16", 65535], "SMALLINT UNSIGNED", ["DbValue_Uint16", 65535], "UINT16"),
    (["Uint32", 4294967295], "INT UNSIGNED", ["DbValue_Uint32", 4294967295], "UINT32"),
    (["Uint64", 18446744073709551615], "BIGINT UNSIGNED",
     ["DbValue_Uint64", 18446744073709551615], "UINT64"),
    (["Floating32", 1.5], "FLOAT", ["DbValue_Floating32", 1.5], "FLOATING32"),
    (["Floating64", 2.718281828459045], "DOUBLE", ["DbValue_Floating64", 2.718281828459045],
     "FLOATING64"),
    (["Str", "héllo 'wörld' \\ ✓ 😀"], "VARCHAR(100)", ["DbValue_Str", "héllo 'wörld' \\ ✓ 😀"],
     "STR"),
    (["Str", "long text"], "TEXT", ["DbValue_Str", "long text"], "STR"),
    (["Binary", b64(bytes(range(256)))], "BLOB", ["DbValue_Binary", b64(bytes(range(256)))],
     "BINARY"),
    (["Binary", b64(b"\x00\x01")], "VARBINARY(10)", ["DbValue_Binary", b64(b"\x00\x01")],
     "BINARY"),
    (["Str", "12.50"], "DECIMAL(10,2)", ["DbValue_Str", "12.50"], "STR"),
    (["Str", "2024-02-29"], "DATE", ["DbValue_Str", "2024-02-29"], "STR"),
    (["Str", "2024-02-29 23:59:58"], "DATETIME", ["DbValue_Str", "2024-02-29 23:59:58"], "STR"),
]


def roundtrip(gen):
    _, db = env()
    table = f"vals_{gen}"
    cols = ", ".join(f"c{i} {t}" for i, (_, t, _, _) in enumerate(VALUES))
    ph = ", ".join("?" for _ in VALUES)
    r = ops(gen, db.url(),
            ("execute", f"DROP TABLE IF EXISTS {table}", []),
            ("execute", f"CREATE TABLE {table} ({cols})", []),
            ("execute", f"INSERT INTO {table} VALUES ({ph})", [p for p, _, _, _ in VALUES]),
            ("query", f"SELECT * FROM {table}", []),
            ("execute", f"INSERT INTO {table} (c0) VALUES (?)", [["DbNull"]]),
            ("query", f"SELECT * FROM {table} WHERE c0 IS NULL", []))
    eq(r[2], {"executed": None}, "execute returns nothing (rdbms 2.0)")
    row, cols = r[3]["rows"][0], r[3]["columns"]
    for i, (p, t, want, dt) in enumerate(VALUES):
        eq(row[i], want, f"column {i} ({t}) from {p}")
        eq(cols[i], [f"c{i}", dt], f"column {i} type")
    eq(r[5]["rows"][0], [["DbValue_DbNull"]] * len(VALUES), "NULL in every type")


@T.case
def my_values_v3():
    roundtrip("v3")


@T.case
def my_values_v4():
    roundtrip("v4")


@T.case
def my_results():
    _, db = env()
    r = ops("v3", db.url(),
            ("query", "SELECT seq, CONCAT('row ', seq) AS label FROM seq_1_to_1000", []),
            ("query", "SELECT 1 FROM DUAL WHERE false", []),
            ("query", "SELECT ? + 1 AS n, ? AS s, ? AS z", [["Int64", 41], ["Str", "x"], ["DbNull"]]))
    eq(len(r[0]["rows"]), 1000, "a thousand rows")
    eq(r[0]["rows"][999], [["DbValue_Uint64", 1000], ["DbValue_Str", "row 1000"]], "last row")
    eq(r[1]["rows"], [], "no rows")
    eq(r[2]["rows"], [[["DbValue_Int64", 42], ["DbValue_Str", "x"], ["DbValue_DbNull"]]],
       "parameters in expressions")


@T.case
def my_sql_errors():
    _, db = env()
    for gen in ("v3", "v4"):
        r = ops(gen, db.url(),
                ("query", "SELECT * FROM no_such_table", []),
                ("query", "SELEKT 1", []),
                ("query", "SELECT ? + ?", [["Int32", 1]]),
                ("query", "SELECT ?", [["Int32", 1], ["Int32", 2]]),
                ("execute", "SELECT 1; DROP TABLE x", []),
                ("query", "SELECT 42", []))
        for x in r[:5]:
            eq(x.get("err"), "Error_QueryFailed", f"{gen}: {x}")
        check("no_such_table" in r[0]["msg"] and "doesn't exist" in r[0]["msg"],
              f"the server's message: {r[0]}")
        check("42S02" in r[0]["msg"], f"SQLSTATE: {r[0]}")
        check("takes 2 parameters, 1 were given" in r[2]["msg"], f"count: {r[2]}")
        check("takes 1 parameters, 2 were given" in r[3]["msg"], f"count: {r[3]}")
        eq(r[5]["rows"], [[["DbValue_Int32", 42]]], f"{gen}: usable after errors")


@T.case
def my_bad_parameters():
    _, db = env()
    r = ops("v3", db.url(),
            ("query", "SELECT ?", [["Int8", 128]]),
            ("query", "SELECT ?", [["Uint8", -1]]),
            ("query", "SELECT ?", [["Floating64", float("nan")]]),
            ("query", "SELECT ?", [["Str", "a\x00b"]]),
            ("query", "SELECT 1", []))
    eq([x.get("err") for x in r[:4]], ["Error_BadParameter"] * 4, f"refused: {r}")
    eq(r[4]["rows"], [[["DbValue_Int32", 1]]], "still usable")


@T.case
def my_load_data_local_refused():
    _, db = env()
    r = ops("v3", db.url(),
            ("execute", "CREATE TEMPORARY TABLE f (line TEXT)", []),
            ("execute", "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE f", []),
            ("query", "SELECT COUNT(*) FROM f", []))
    eq(r[1].get("err"), "Error_QueryFailed", f"LOAD DATA LOCAL is refused: {r[1]}")
    eq(r[2]["rows"], [[["DbValue_Int64", 0]]], "no host file reached the server")


@T.case
def my_tls():
    """ssl-mode as Spin reads it: DISABLED (the default) or TLS, here without
    verification (REQUIRED, PREFERRED; any case, ssl-mode or sslmode)."""
    _, db = env()
    sql = ("query", "SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS "
                    "WHERE VARIABLE_NAME = 'SSL_CIPHER'", [])
    for suffix, want in (("", 0), ("?ssl-mode=DISABLED", 0), ("?ssl-mode=REQUIRED", 1),
                         ("?sslmode=preferred", 1), ("?SSL-MODE=Required", 1)):
        r = ops("v3", db.url() + suffix, sql)
        eq(r[0].get("rows"), [[["DbValue_Int32", want]]], f"{suffix or 'no ssl-mode'}: {r[0]}")


@T.case
def my_wrong_password_and_denied():
    _, db = env()
    e = open_err("v3", db.url(password="wrong"))
    eq(e["err"], "Error_ConnectionFailed", str(e))
    check("Access denied" in e["msg"], f"the server's reason: {e}")
    e = open_err("v3", db.url(host="127.0.0.2"))
    check("not allowed" in e["msg"], f"denied host: {e}")
    e = open_err("v3", db.url(), path="/none/ops")
    check("not allowed" in e["msg"], f"no rules: {e}")


@T.case
def my_host_environment_unused():
    """libmariadb would take MYSQL_PWD from pyedge's environment for a
    connection without a password: a component's connection never does."""
    _, db = env()
    saved = dict(os.environ)
    os.environ.update(MYSQL_PWD=PASSWORD, MYSQL_TCP_PORT=str(db.port), MYSQL_HOST=HOST)
    try:
        srv = Server(_main["app"], ["--request-timeout", "3"], name="my-env")
        srv.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        doc = post_ok(srv.port, "/v3/ops", {"conn": f"mysql://app@{HOST}:{db.port}/app",
                                            "ops": []})
        check("open_err" in doc and "Access denied" in doc["open_err"]["msg"],
              f"the host's MYSQL_PWD was used: {doc}")
    finally:
        srv.stop()


@T.case
def my_refused_addresses():
    _, db = env()
    cases = {
        "mysql://app@/app": "no host",
        "mysql://app@localhost,127.0.0.1/app": "one name",
        "mysql://app@%2Ftmp%2Fsock/app": "",
        db.url() + "?ssl-ca=/etc/ssl/key.pem": "only parameter",
        db.url() + "?sslMode=VERIFY_CA": "verify_ca",
        db.url() + "?ssl-mode=required&x=1": "only parameter",
        "mysqlx://127.0.0.1/app": "mysql://",
        f"mysql://app@127.0.0.1:99999/app": "port",
        "postgres://127.0.0.1/app": "mysql://",
    }
    for conn, word in cases.items():
        e = open_err("v3", conn)
        eq(e["err"], "Error_ConnectionFailed", f"{conn}: {e}")
        check(word in e["msg"], f"{conn}: expected '{word}' in {e['msg']!r}")


@T.case
def my_unreachable():
    srv, db = env()
    t0 = time.monotonic()
    e = open_err("v3", db.url(port=free_port()))
    check("refused" in e["msg"].lower() or "Can't connect" in e["msg"], f"refused: {e}")
    check(time.monotonic() - t0 < 2, "a refused connection fails at once")
    # a server that accepts and never answers: the request's 3 s deadline ends the wait
    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(8)
    T.cleanups.append(silent.close)
    srv, _ = env()
    body = json.dumps({"conn": db.url(port=silent.getsockname()[1]), "ops": []}).encode()
    t0 = time.monotonic()
    r = request(srv.port, "POST", "/v3/ops", body=body, timeout=20)
    took = time.monotonic() - t0
    check(2.5 < took < 8, f"a silent server is waited for until the deadline ({took:.1f} s)")
    if r.status == 200:
        doc = json.loads(r.body)
        eq(doc.get("open_err", {}).get("err"), "Error_ConnectionFailed", f"{doc}")
    else:
        eq(r.status, 504, "the request timed out")


@T.case
def my_deadline_kills_query():
    srv, db = env()
    t0 = time.monotonic()
    body = ('{"conn": "%s", "ops": [["query", "SELECT SLEEP(60)", []]]}' % db.url()).encode()
    r = request(srv.port, "POST", "/v3/ops", body=body, timeout=30)
    took = time.monotonic() - t0
    check(took < 8, f"SLEEP(60) ended with the 3 s request deadline ({took:.1f} s, {r.status})")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        busy = db.sql("SELECT COUNT(*) FROM information_schema.processlist "
                      "WHERE info LIKE 'SELECT SLEEP%'")
        if busy == "0":
            break
        time.sleep(0.2)
    eq(busy, "0", "the server-side statement was killed")
    r = ops("v3", db.url(), ("query", "SELECT 1", []))
    eq(r[0]["rows"], [[["DbValue_Int32", 1]]], "the server still serves")


@T.case
def my_concurrent_requests():
    """Requests on every worker at once, each with its own connections."""
    srv, db = env()
    results, errors = {}, []

    def one(i):
        try:
            r = ops("v3", db.url(), ("query", "SELECT ? * 2", [["Int32", i]]),
                    ("query", "SELECT ? * 2", [["Int32", i + 1]]))
            results[i] = [x["rows"][0] for x in r]
        except Exception as e:  # noqa: BLE001  reported below
            errors.append(f"{i}: {e}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    eq(errors, [], "every request succeeded")
    for i in range(24):
        eq(results[i], [[["DbValue_Int64", 2 * i]], [["DbValue_Int64", 2 * i + 2]]], f"request {i}")


@T.case
def my_connection_limit_and_cleanup():
    srv, db = env()
    doc = post_ok(srv.port, "/v3/open", {"conn": db.url(), "n": 10})
    eq((doc["opened"], doc.get("err")), (8, "Error_Other"), f"8 connections a request: {doc}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        n = db.sql("SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app'")
        if n == "0":
            break
        time.sleep(0.1)
    eq(n, "0", "every connection closed when the request ended")


@T.case
def my_connection_in_global():
    srv, db = env()
    # every request starts from the start-up snapshot: the global is gone
    for _ in range(3):
        got = post_ok(srv.port, "/v3/global", {"conn": db.url()})
        eq(got, {"first": True, "rows": 1}, "a fresh sandbox opens its own connection")
    # an instance reused for 3 requests keeps the global, but its handle was
    # closed when the request that opened it ended
    reuse = Server(_main["app"], ["--request-timeout", "3", "--max-instance-reuse-count", "3",
                                  "--workers", "1"], name="my-reuse")
    reuse.start()
    try:
        got = [post_ok(reuse.port, "/v3/global", {"conn": db.url()}) for _ in range(4)]
    finally:
        reuse.stop()
    eq(got[0], {"first": True, "rows": 1}, "first request of the instance")
    for g in got[1:3]:
        eq((g["first"], g.get("err")), (False, "Error_Other"), f"a kept connection is dead: {g}")
        check("no open" in g["msg"], g["msg"])
    eq(got[3], {"first": True, "rows": 1}, "a new instance after 3 requests")


@T.case
def my_example_apps():
    srv, db = env()
    db.sql("DROP TABLE IF EXISTS test; CREATE TABLE test (id INT, name TEXT);"
           "INSERT INTO test VALUES (1, 'one'), (2, NULL)", db="app")
    r = request(srv.port, "GET", f"/v3/example?conn={quote(db.url())}")
    eq(r.status, 200, f"v3 example: {r.body[:300]}")
    check(b"DbValue_Str(value='one')" in r.body and b"DbValue_DbNull()" in r.body,
          f"the RowSet: {r.body[:300]}")
    r = request(srv.port, "GET", f"/v4/example?conn={quote(db.url())}")
    eq((r.status, r.body), (200, b"Hello from Python!"), "v4 example")


@T.case
def my_hostile_payloads():
    srv, db = env()
    conn = {"str": db.url()}
    r = post_ok(srv.port, "/v3/raw", [
        {"svc": "mysql.open", "blobs": [conn]},                                  # 0
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"str": "SELECT 1"}]},      # 1 ok
        {"svc": "mysql.query", "blobs": [{"u64": 999999}, {"str": "SELECT 1"}]},  # 2 forged
        {"svc": "mysql.query", "blobs": [{"ref": 0}]},                           # 3
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"b64": b64(b"SELECT \x00")}]},  # 4
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"b64": b64(b"SELECT \xff")}]},  # 5
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"str": "SELECT ?"}, {"b64": b64(b"x")}]},
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"str": "SELECT ?"},
                                         {"b64": b64(b"t\x08\x00\x00\x00" + b"9" * 40)}]},  # 7
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"str": "SELECT ?"},
                                         {"b64": b64(b"t\x08\x00\x00\x80-1")}]},  # 8 unsigned -1
        {"svc": "mysql.query", "raw": b64(b"\x08\x00\x00\x00")},                 # 9
        {"svc": "mysql.open", "blobs": []},                                      # 10
        {"svc": "mysql.open", "blobs": [conn, conn]},                            # 11
        {"svc": "mysql.open", "blobs": [{"str": "mysql://" + "x" * 5000}]},      # 12
        {"svc": "mysql.frob", "blobs": []},                                      # 13
        {"svc": "mysql.close", "blobs": [{"ref": 0}]},                           # 14
        {"svc": "mysql.close", "blobs": [{"ref": 0}]},                           # 15
        {"svc": "mysql.query", "blobs": [{"ref": 0}, {"str": "SELECT 1"}]},      # 16
    ])
    st = [x["status"] for x in r]
    eq(st[0:2], [0, 0], f"open and query: {r[:2]}")
    eq(st[2:13], [3] * 11, f"malformed calls are INVALID: {r[2:13]}")
    eq(st[13], 7, "unknown op")
    eq(st[14:17], [0, 3, 3], f"close, then the handle is gone: {r[14:]}")
    # a handle from an earlier request (closed when it ended) means nothing in this one
    srv, _ = env()
    first = post_ok(srv.port, "/v3/raw", [{"svc": "mysql.open", "blobs": [conn]}])
    eq(first[0]["status"], 0, f"open: {first}")
    later = post_ok(srv.port, "/v3/raw", [
        {"svc": "mysql.query", "blobs": [{"b64": first[0]["blobs"][0]}, {"str": "SELECT 1"}]},
        {"svc": "mysql.close", "blobs": [{"b64": first[0]["blobs"][0]}]}])
    eq([x["status"] for x in later], [3, 3], f"an earlier request's handle: {later}")


@T.case
def my_result_limit():
    _, db = env()
    r = ops("v3", db.url(),
            ("query", "SELECT REPEAT('x', 1000000) FROM seq_1_to_40", []),
            ("query", "SELECT 1", []))
    eq(r[0].get("err"), "Error_Other", f"a 40 MB result is refused: {r[0]}")
    eq(r[1].get("err"), "Error_QueryFailed", "the connection was dropped after the limit")


if __name__ == "__main__":
    raise SystemExit(T.main())
