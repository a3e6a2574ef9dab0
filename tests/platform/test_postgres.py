#!/usr/bin/env python3
"""tests/platform/test_postgres.py -- outbound PostgreSQL in `pyedge up`, end
to end: spin_sdk.postgres in the sandbox (tests/platform/apps/postgres), the
host's "postgres.*" services and libpq, against a real PostgreSQL 15 server
the test starts on a free loopback port in a temporary directory.

Covers every value type both ways in both SDK generations, NULLs, the
session's text formats whatever the database's defaults, TLS (sslmode),
errors (SQL errors with the server's message and SQLSTATE, parameter count
mismatch, bad parameters), denied, refused and silent servers, refused
connection options, the request deadline cancelling a pg_sleep on the
server, result limits, concurrent requests, the per-request connection
limit, a connection kept in a global (and a reused instance), the SDK's
example app shape, and hostile payloads sent straight through _pyedge.call.

Usage: tests/platform/test_postgres.py [-k SUBSTRING]... [-v]
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time

from platform_util import (HOST, CaseFailure, Runner, Server, check, copy_app, eq, free_port,
                           post_ok, request, tempdir)

import drive

T = Runner(__doc__.split("\n")[0])

PG_BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "s3cret pa'ss"


def as_pg_user():
    """postgres refuses to run as root: run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A private PostgreSQL server on 127.0.0.1 and a socket in its directory."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempdir("pe-pg-")
        self.data = os.path.join(self.dir, "data")
        self.proc = None

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        subprocess.run(as_pg_user() + [f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres",
                                       "--auth-local=trust", "--auth-host=scram-sha-256",
                                       f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # TLS with a throw-away self-signed certificate, so sslmode=require is real
        cert, key = os.path.join(self.dir, "server.crt"), os.path.join(self.dir, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)
        if os.geteuid() == 0:
            for f in (cert, key):
                shutil.chown(f, "postgres", "postgres")
        self.proc = subprocess.Popen(
            as_pg_user() + [f"{PG_BIN}/postgres", "-D", self.data, "-p", str(self.port),
                            "-k", self.dir, "-c", f"listen_addresses={HOST}",
                            "-c", "fsync=off", "-c", "max_connections=40", "-c", "ssl=on",
                            "-c", f"ssl_cert_file={cert}", "-c", f"ssl_key_file={key}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=drive._die_with_driver)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CaseFailure(f"postgres exited with {self.proc.returncode}")
            try:
                self.psql("SELECT 1")
                self.psql("CREATE DATABASE app")
                return self
            except subprocess.CalledProcessError:
                time.sleep(0.1)
        raise CaseFailure("postgres did not start within 30 s")

    def psql(self, sql, db="postgres"):
        """Runs sql over the socket as the superuser; its rows, one a line."""
        return subprocess.run(
            as_pg_user() + ["psql", "-h", self.dir, "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-Atc", sql],
            check=True, capture_output=True, text=True).stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def conn(self, **over):
        kv = {"host": HOST, "port": self.port, "user": "postgres", "dbname": "app",
              "password": PASSWORD}
        kv.update(over)
        return " ".join(f"{k}='" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"
                        for k, v in kv.items() if v is not None)

    def url(self):
        pw = PASSWORD.replace("%", "%25").replace(" ", "%20").replace("'", "%27")
        return f"postgres://postgres:{pw}@{HOST}:{self.port}/app?sslmode=disable"


_main = {}


def env():
    if "srv" not in _main or not _main["srv"].alive():
        if "pg" not in _main:
            _main["pg"] = Postgres().start()
            T.cleanups.append(_main["pg"].stop)
        app = copy_app("postgres")
        srv = Server(app, ["--request-timeout", "3"], name="postgres")
        srv.start()
        _main.update(srv=srv, app=app)
    return _main["srv"], _main["pg"]


def ops(gen, conn, *operations, path=None):
    srv, _ = env()
    doc = post_ok(srv.port, path or f"/{gen}/ops", {"conn": conn, "ops": [list(o) for o in operations]})
    if "open_err" in doc:
        raise CaseFailure(f"open failed: {doc}")
    return doc["results"]


def b64(b):
    return base64.b64encode(b).decode()


# --- values --------------------------------------------------------------------------

SCALARS = [
    # (parameter, SQL type, 3.x result, 4.0 result)
    (["Boolean", True], "boolean", ["DbValue_Boolean", True], None),
    (["Boolean", False], "boolean", ["DbValue_Boolean", False], None),
    (["Int8", -7], "int2", ["DbValue_Int16", -7], None),
    (["Int16", -32768], "int2", ["DbValue_Int16", -32768], None),
    (["Int32", 2147483647], "int4", ["DbValue_Int32", 2147483647], None),
    (["Int64", -9223372036854775808], "int8", ["DbValue_Int64", -9223372036854775808], None),
    (["Floating32", 1.5], "float4", ["DbValue_Floating32", 1.5], None),
    (["Floating64", 2.718281828459045], "float8", ["DbValue_Floating64", 2.718281828459045], None),
    (["Floating64", "inf"], "float8", ["DbValue_Floating64", "inf"], None),
    (["Floating64", "nan"], "float8", ["DbValue_Floating64", "nan"], None),
    (["Str", "héllo \"wörld\" ' ✓"], "text", ["DbValue_Str", "héllo \"wörld\" ' ✓"], None),
    (["Str", ""], "varchar", ["DbValue_Str", ""], None),
    (["Binary", b64(bytes(range(256)))], "bytea", ["DbValue_Binary", b64(bytes(range(256)))], None),
    (["Binary", ""], "bytea", ["DbValue_Binary", ""], None),
    (["Date", [2024, 2, 29]], "date", ["DbValue_Unsupported", ""], ["DbValue_Date", [2024, 2, 29]]),
    (["Time", [23, 59, 58, 123456000]], "time", ["DbValue_Unsupported", ""],
     ["DbValue_Time", [23, 59, 58, 123456000]]),
    (["Datetime", [1999, 12, 31, 23, 59, 59, 500000000]], "timestamp",
     ["DbValue_Unsupported", ""], ["DbValue_Datetime", [1999, 12, 31, 23, 59, 59, 500000000]]),
    (["Timestamp", 86400 * 365], "timestamptz", ["DbValue_Unsupported", ""],
     ["DbValue_Datetime", [1971, 1, 1, 0, 0, 0, 0]]),
    (["Uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], "uuid", ["DbValue_Unsupported", ""],
     ["DbValue_Uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]),
    (["Jsonb", b64(b'{"a": [1, 2, null]}')], "jsonb", ["DbValue_Unsupported", ""],
     ["DbValue_Jsonb", b64(b'{"a": [1, 2, null]}')]),
    (["Decimal", "-12345678901234567890.0001"], "numeric", ["DbValue_Unsupported", ""],
     ["DbValue_Decimal", "-12345678901234567890.0001"]),
    (["RangeInt32", [[1, "I"], [10, "E"]]], "int4range", ["DbValue_Unsupported", ""],
     ["DbValue_RangeInt32", [[1, "I"], [10, "E"]]]),
    (["RangeInt64", [None, [5000000000, "E"]]], "int8range", ["DbValue_Unsupported", ""],
     ["DbValue_RangeInt64", [None, [5000000000, "E"]]]),
    (["RangeDecimal", [["1.5", "E"], ["2.5", "I"]]], "numrange", ["DbValue_Unsupported", ""],
     ["DbValue_RangeDecimal", [["1.5", "E"], ["2.5", "I"]]]),
    (["ArrayInt32", [1, None, -3]], "int4[]", ["DbValue_Unsupported", ""],
     ["DbValue_ArrayInt32", [1, None, -3]]),
    (["ArrayInt64", [9000000000]], "int8[]", ["DbValue_Unsupported", ""],
     ["DbValue_ArrayInt64", [9000000000]]),
    (["ArrayDecimal", ["1.25", None]], "numeric[]", ["DbValue_Unsupported", ""],
     ["DbValue_ArrayDecimal", ["1.25", None]]),
    (["ArrayStr", ["a,b", "q\"uote\\", None, "NULL", ""]], "text[]", ["DbValue_Unsupported", ""],
     ["DbValue_ArrayStr", ["a,b", "q\"uote\\", None, "NULL", ""]]),
    (["Interval", [3723000004, 5, 14]], "interval", ["DbValue_Unsupported", ""],
     ["DbValue_Interval", [3723000004, 5, 14]]),
]


def roundtrip(gen):
    srv, pg = env()
    table = f"vals_{gen}"
    cols = ", ".join(f"c{i} {t}" for i, (_, t, _, _) in enumerate(SCALARS))
    ph = ", ".join(f"${i + 1}" for i in range(len(SCALARS)))
    rich = gen == "v4"
    params = [p for p, _, _, _ in SCALARS]
    if not rich:  # 2.0 has no parameter cases for the newer types: bind them as text
        params = [p if p[0] in ("Boolean", "Int8", "Int16", "Int32", "Int64", "Floating32",
                                "Floating64", "Str", "Binary") else ["DbNull"] for p in params]
    r = ops(gen, pg.conn(),
            ("execute", f"DROP TABLE IF EXISTS {table}", []),
            ("execute", f"CREATE TABLE {table} ({cols})", []),
            ("execute", f"INSERT INTO {table} VALUES ({ph})", params),
            ("query", f"SELECT * FROM {table}", []),
            ("execute", f"INSERT INTO {table} (c0) VALUES (NULL)", []),
            ("query", f"SELECT * FROM {table} WHERE c0 IS NULL", []))
    eq(r[2], {"affected": 1}, "insert of every type")
    row = r[3]["rows"][0]
    eq(len(row), len(SCALARS), "a value per column")
    for i, (p, t, v3, v4) in enumerate(SCALARS):
        want = (v4 or v3) if rich else (v3 if params[i][0] != "DbNull" else ["DbValue_DbNull"])
        if not rich and v4 is not None:
            want = ["DbValue_DbNull"]
        eq(row[i], want, f"column {i} ({t}) from {p}")
    nulls = r[5]["rows"][0]
    eq(nulls, [["DbValue_DbNull"]] * len(SCALARS), "NULL in every type")
    return r[3]["columns"]


@T.case
def pg_values_v3():
    cols = roundtrip("v3")
    eq(cols[:3], [["c0", "BOOLEAN"], ["c1", "BOOLEAN"], ["c2", "INT16"]], "2.0 column types")
    eq(cols[14], ["c14", "OTHER"], "date is OTHER in 2.0")


@T.case
def pg_values_v4():
    cols = roundtrip("v4")
    eq(cols[4], ["c4", "DbDataType_Int32"], "4.x column type")
    eq(cols[14], ["c14", "DbDataType_Date"], "date")
    eq(cols[28], ["c28", "DbDataType_Interval"], "interval")


@T.case
def pg_unsupported_type():
    _, pg = env()
    r = ops("v4", pg.conn(), ("query", "SELECT '(1,2)'::point AS p, 'a'::\"char\" AS c", []))[0]
    eq(r["columns"], [["p", "DbDataType_Other:point"], ["c", "DbDataType_Int8"]], "columns")
    eq(r["rows"], [[["DbValue_Unsupported", b64(b"(1,2)")], ["DbValue_Int8", 97]]], "values")
    r = ops("v3", pg.conn(), ("query", "SELECT '(1,2)'::point AS p", []))[0]
    eq(r["rows"], [[["DbValue_Unsupported", ""]]], "2.0's Unsupported carries nothing")


@T.case
def pg_server_formats():
    """A database whose defaults change the text formats: pyedge's session
    options keep the ones the SDK parses; the guest's own options still apply."""
    _, pg = env()
    pg.psql("CREATE DATABASE odd")
    pg.psql("ALTER DATABASE odd SET DateStyle = 'SQL, DMY'; ALTER DATABASE odd SET "
            "bytea_output = 'escape'; ALTER DATABASE odd SET IntervalStyle = 'iso_8601'")
    conn = pg.conn(dbname="odd", options="-c search_path=nowhere -c TimeZone=Asia/Kolkata")
    r = ops("v4", conn, ("query", "SELECT '2024-02-29'::date, '\\x00ff'::bytea, "
                                  "'1 day 2 hours'::interval, '2024-01-01 12:00:00+00'::timestamptz, "
                                  "current_setting('search_path')", []))
    eq(r[0]["rows"], [[["DbValue_Date", [2024, 2, 29]], ["DbValue_Binary", b64(b"\x00\xff")],
                       ["DbValue_Interval", [7200000000, 1, 0]],
                       ["DbValue_Datetime", [2024, 1, 1, 12, 0, 0, 0]],
                       ["DbValue_Str", "nowhere"]]], "values in the SDK's formats")


@T.case
def pg_url_form_and_results():
    _, pg = env()
    r = ops("v3", pg.url(),
            ("query", "SELECT g, 'row ' || g AS label FROM generate_series(1, 1000) g", []),
            ("query", "SELECT 1 WHERE false", []),
            ("execute", "SELECT 1", []))
    eq(len(r[0]["rows"]), 1000, "a thousand rows")
    eq(r[0]["rows"][999], [["DbValue_Int32", 1000], ["DbValue_Str", "row 1000"]], "last row")
    eq(r[1], {"columns": [["?column?", "INT32"]], "rows": []}, "no rows, columns still known")
    eq(r[2], {"affected": 1}, "execute of a SELECT counts its rows")


@T.case
def pg_execute_counts():
    _, pg = env()
    r = ops("v4", pg.conn(),
            ("execute", "CREATE TEMP TABLE t (a int)", []),
            ("execute", "INSERT INTO t SELECT generate_series(1, 7)", []),
            ("execute", "UPDATE t SET a = a + 1 WHERE a > $1", [["Int32", 4]]),
            ("execute", "DELETE FROM t", []))
    eq([x["affected"] for x in r], [0, 7, 3, 7], "rows affected")


@T.case
def pg_sql_errors():
    _, pg = env()
    for gen in ("v3", "v4"):
        r = ops(gen, pg.conn(),
                ("query", "SELECT * FROM no_such_table", []),
                ("query", "SELEKT 1", []),
                ("query", "SELECT $1::int + $2::int", [["Int32", 1]]),
                ("query", "SELECT $1::int", [["Int32", 1], ["Int32", 2]]),
                ("execute", "INSERT INTO nope VALUES (1); DROP TABLE x", []),
                ("query", "SELECT 1/0", []),
                ("query", "SELECT $1::int", [["Str", "not a number"]]),
                ("query", "SELECT 42", []))
        for x in r[:3] + r[4:7]:
            eq(x.get("err"), "Error_QueryFailed", f"{gen}: {x}")
        check("no_such_table" in r[0]["msg"] and "does not exist" in r[0]["msg"],
              f"the server's message: {r[0]}")
        check("supplies 1 parameters" in r[2]["msg"], f"parameter count: {r[2]}")
        # the parameters' types declare them, so an unused $2 is the server's to accept
        eq(r[3].get("rows"), [[["DbValue_Int32", 1]]], f"an extra parameter: {r[3]}")
        check("cannot insert multiple commands" in r[4]["msg"], f"one statement: {r[4]}")
        eq(r[7]["rows"], [[["DbValue_Int32", 42]]], f"{gen}: the connection works after errors")
        if gen == "v4":
            eq((r[0]["kind"], r[0]["code"], r[0]["severity"]), ("QueryError_DbError", "42P01", "ERROR"),
               "structured DbError")
            eq(r[5]["code"], "22012", "division by zero SQLSTATE")


@T.case
def pg_bad_parameters():
    _, pg = env()
    r = ops("v3", pg.conn(),
            ("query", "SELECT $1::int", [["Int32", 2 ** 31]]),
            ("query", "SELECT $1", [["Uint8", 1]]),
            ("query", "SELECT $1::text", [["Str", "nul\x00inside"]]),
            ("query", "SELECT 1", []))
    eq([x.get("err") for x in r[:3]], ["Error_BadParameter"] * 3, f"refused before sending: {r}")
    eq(r[3]["rows"], [[["DbValue_Int32", 1]]], "connection still usable")


# --- connections ----------------------------------------------------------------------

def open_err(gen, conn, path=None):
    srv, _ = env()
    doc = post_ok(srv.port, path or f"/{gen}/ops", {"conn": conn, "ops": []})
    check("open_err" in doc, f"expected the open to fail: {doc}")
    return doc["open_err"]


@T.case
def pg_tls():
    """sslmode require encrypts (without verifying: no root certificate can be
    named), prefer does when the server can, disable does not; no client
    certificate or host file is involved."""
    _, pg = env()
    sql = ("query", "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])
    for mode, want in (("require", "true"), (None, "true"), ("prefer", "true"),
                       ("disable", "false")):
        r = ops("v3", pg.conn(sslmode=mode), sql)
        eq(r[0]["rows"], [[["DbValue_Str", want]]], f"sslmode={mode}")
    r = ops("v3", pg.url().replace("sslmode=disable", "sslmode=require"), sql)
    eq(r[0]["rows"], [[["DbValue_Str", "true"]]], "sslmode=require in a URL")
    # SCRAM with channel binding over that TLS, and the harmless TCP options
    r = ops("v3", pg.conn(sslmode="require", channel_binding="require", keepalives=1,
                          keepalives_idle=30, tcp_user_timeout=10000,
                          target_session_attrs="any"), sql)
    eq(r[0]["rows"], [[["DbValue_Str", "true"]]], "channel_binding=require")


@T.case
def pg_wrong_password():
    _, pg = env()
    e = open_err("v3", pg.conn(password="wrong"))
    eq(e["err"], "Error_ConnectionFailed", str(e))
    check("password authentication failed" in e["msg"], f"the server's reason: {e}")


@T.case
def pg_denied_host():
    _, pg = env()
    e = open_err("v3", pg.conn(host="127.0.0.2"))
    eq(e["err"], "Error_ConnectionFailed", str(e))
    check("not allowed" in e["msg"] or "denied" in e["msg"].lower(), f"denied: {e}")
    e = open_err("v3", pg.conn(), path="/none/ops")
    check("not allowed" in e["msg"] or "denied" in e["msg"].lower(), f"no rules: {e}")
    # a name is resolved, checked against the IP rule and connected to by that address
    r = ops("v3", pg.conn(host="localhost"), ("query", "SELECT inet_server_addr()::text", []))
    eq(r[0]["rows"], [[["DbValue_Str", "127.0.0.1/32"]]], "localhost reached as 127.0.0.1")


@T.case
def pg_host_environment_unused():
    """The operator's PG* variables never fill a component's connection: a
    connection without a password is not sent pyedge's PGPASSWORD."""
    _, pg = env()
    saved = dict(os.environ)
    os.environ.update(PGPASSWORD=PASSWORD, PGUSER="postgres", PGDATABASE="app",
                      PGSERVICE="nowhere", PGSSLMODE="disable")
    try:
        srv = Server(_main["app"], ["--request-timeout", "3"], name="pg-env")
        srv.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        doc = post_ok(srv.port, "/v3/ops", {"conn": f"host={HOST} port={pg.port} user=postgres",
                                            "ops": []})
        check("open_err" in doc, f"the host's PGPASSWORD was used: {doc}")
        check("no password supplied" in doc["open_err"]["msg"], f"{doc}")
        doc = post_ok(srv.port, "/v3/ops", {"conn": pg.conn(), "ops": [["query", "SELECT 1", []]]})
        eq(doc.get("results"), [{"columns": [["?column?", "INT32"]], "rows": [[["DbValue_Int32", 1]]]}],
           "the component's own password works")
    finally:
        srv.stop()
    check(any("PGPASSWORD is ignored" in line for line in srv.stderr), "said on stderr")


@T.case
def pg_refused_options():
    _, pg = env()
    cases = {
        "host=/tmp port=5432": "socket",
        f"host=127.0.0.1,127.0.0.2 port={pg.port}": "one host",
        f"port={pg.port} user=postgres": "no host",
        pg.conn() + " hostaddr=10.0.0.1": "hostaddr",
        pg.conn() + " passfile=/etc/shadow": "passfile",
        pg.conn() + " sslkey=/root/.ssh/id_rsa": "sslkey",
        pg.conn() + " sslrootcert=/etc/ssl/x.pem": "sslrootcert",
        pg.conn() + " service=foo": "service",
        pg.conn() + " sslmode=verify-full": "sslmode",
        "postgres://u@[::1],127.0.0.1/db": "",
        "postgres://%2Ftmp/db": "socket",
        f"postgres://127.0.0.1:{pg.port}/app?passfile=/etc/passwd": "passfile",
        "host='unterminated": "unterminated",
    }
    for conn, word in cases.items():
        e = open_err("v3", conn)
        eq(e["err"], "Error_ConnectionFailed", f"{conn}: {e}")
        check(word in e["msg"], f"{conn}: expected '{word}' in {e['msg']!r}")


@T.case
def pg_unreachable():
    _, pg = env()
    t0 = time.monotonic()
    e = open_err("v3", pg.conn(port=free_port()))
    eq(e["err"], "Error_ConnectionFailed", str(e))
    check("refused" in e["msg"].lower(), f"refused: {e}")
    check(time.monotonic() - t0 < 2, "a refused connection fails at once")
    # a server that accepts and never answers: the request's 3 s deadline ends the wait
    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(8)
    T.cleanups.append(silent.close)
    srv, _ = env()
    body = json.dumps({"conn": pg.conn(port=silent.getsockname()[1]), "ops": []}).encode()
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
def pg_deadline_cancels_query():
    srv, pg = env()
    t0 = time.monotonic()
    r = request(srv.port, "POST", "/v3/ops",
                body=(b'{"conn": "%s", "ops": [["query", "SELECT pg_sleep(60)", []]]}'
                      % pg.conn().replace("\\", "\\\\").replace('"', '\\"').encode()), timeout=30)
    took = time.monotonic() - t0
    check(took < 8, f"pg_sleep(60) ended with the 3 s request deadline ({took:.1f} s, {r.status})")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        busy = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")
        if busy == "0":
            break
        time.sleep(0.2)
    eq(busy, "0", "the server-side statement was cancelled")
    r = ops("v3", pg.conn(), ("query", "SELECT 1", []))
    eq(r[0]["rows"], [[["DbValue_Int32", 1]]], "the server still serves")


@T.case
def pg_concurrent_requests():
    """Requests on every worker at once, each with its own connections."""
    srv, pg = env()
    results, errors = {}, []

    def one(i):
        try:
            r = ops("v3", pg.conn(), ("query", "SELECT $1::int * 2", [["Int32", i]]),
                    ("query", "SELECT $1::int * 2", [["Int32", i + 1]]))
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
        eq(results[i], [[["DbValue_Int32", 2 * i]], [["DbValue_Int32", 2 * i + 2]]], f"request {i}")


@T.case
def pg_connection_limit_and_cleanup():
    srv, pg = env()
    doc = post_ok(srv.port, "/v3/open", {"conn": pg.conn(), "n": 10})
    eq((doc["opened"], doc.get("err")), (8, "Error_Other"), f"8 connections a request: {doc}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        n = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND "
                    "pid <> pg_backend_pid()")
        if n == "0":
            break
        time.sleep(0.1)
    eq(n, "0", "every connection closed when the request ended")


@T.case
def pg_connection_in_global():
    srv, pg = env()
    # every request starts from the start-up snapshot: the global is gone
    for _ in range(3):
        got = post_ok(srv.port, "/v3/global", {"conn": pg.conn()})
        eq(got, {"first": True, "rows": 1}, "a fresh sandbox opens its own connection")
    # an instance reused for 3 requests keeps the global, but its handle was
    # closed when the request that opened it ended
    reuse = Server(_main["app"], ["--request-timeout", "3", "--max-instance-reuse-count", "3",
                                  "--workers", "1"], name="pg-reuse")
    reuse.start()
    try:
        got = [post_ok(reuse.port, "/v3/global", {"conn": pg.conn()}) for _ in range(4)]
    finally:
        reuse.stop()
    eq(got[0], {"first": True, "rows": 1}, "first request of the instance")
    for g in got[1:3]:
        eq((g["first"], g.get("err")), (False, "Error_Other"), f"a kept connection is dead: {g}")
        check("no open" in g["msg"], g["msg"])
    eq(got[3], {"first": True, "rows": 1}, "a new instance after 3 requests")


@T.case
def pg_example_apps():
    srv, pg = env()
    pg.psql("DROP TABLE IF EXISTS test; CREATE TABLE test (id int, name text);"
            "INSERT INTO test VALUES (1, 'one'), (2, NULL)", db="app")
    from urllib.parse import quote
    for gen in ("v3", "v4"):
        r = request(srv.port, "GET", f"/{gen}/example?conn={quote(pg.conn())}")
        eq(r.status, 200, f"{gen} example: {r.body[:300]}")
        eq(r.body.decode(), "id | name\n---------\n1 | one\n2 | NULL", f"{gen} example table")


# --- hostile payloads ---------------------------------------------------------------------

def raw(script):
    srv, _ = env()
    return post_ok(srv.port, "/v3/raw", script)


@T.case
def pg_hostile_payloads():
    _, pg = env()
    conn = {"str": pg.conn()}
    r = raw([
        {"svc": "postgres.open", "blobs": [conn]},                               # 0
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"str": "SELECT 1"}]},   # 1 ok
        {"svc": "postgres.query", "blobs": [{"u64": 999999}, {"str": "SELECT 1"}]},  # 2 forged
        {"svc": "postgres.query", "blobs": [{"ref": 0}]},                        # 3 no statement
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"b64": b64(b"SELECT \x00")}]},  # 4 NUL
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"b64": b64(b"SELECT \xff")}]},  # 5 UTF-8
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"str": "SELECT $1"},
                                            {"b64": b64(b"x")}]},                 # 6 bad tag
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"str": "SELECT $1"},
                                            {"b64": b64(b"t\x19\x00")}]},        # 7 short type
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"str": "SELECT $1::text"},
                                            {"b64": b64(b"t\x19\x00\x00\x00a\x00b")}]},  # 8 NUL
        {"svc": "postgres.query", "raw": b64(b"\x08\x00\x00\x00")},              # 9 truncated
        {"svc": "postgres.open", "blobs": []},                                   # 10
        {"svc": "postgres.open", "blobs": [conn, conn]},                         # 11
        {"svc": "postgres.open", "blobs": [{"b64": b64(b"host=127.0.0.1\x00 port=1")}]},  # 12
        {"svc": "postgres.open", "blobs": [{"str": "x" * 5000}]},                # 13
        {"svc": "postgres.frob", "blobs": []},                                   # 14
        {"svc": "postgres.close", "blobs": [{"ref": 0}]},                        # 15
        {"svc": "postgres.close", "blobs": [{"ref": 0}]},                        # 16 twice
        {"svc": "postgres.query", "blobs": [{"ref": 0}, {"str": "SELECT 1"}]},   # 17 closed
        {"svc": "postgres.execute", "blobs": [{"ref": 0}, {"str": "SELECT 1"}], "pad": 99},  # 18
    ])
    st = [x["status"] for x in r]
    eq(st[0:2], [0, 0], f"open and query: {r[:2]}")
    eq(st[2:14], [3] * 12, f"malformed calls are INVALID: {r[2:14]}")
    eq(st[14], 7, "unknown op")
    eq(st[15:19], [0, 3, 3, 3], f"close, then the handle is gone: {r[15:]}")
    # a handle from an earlier request (closed when it ended) means nothing in this one
    srv, _ = env()
    first = post_ok(srv.port, "/v3/raw", [{"svc": "postgres.open", "blobs": [conn]}])
    eq(first[0]["status"], 0, f"open: {first}")
    later = post_ok(srv.port, "/v3/raw", [
        {"svc": "postgres.query", "blobs": [{"b64": first[0]["blobs"][0]}, {"str": "SELECT 1"}]},
        {"svc": "postgres.close", "blobs": [{"b64": first[0]["blobs"][0]}]}])
    eq([x["status"] for x in later], [3, 3], f"an earlier request's handle: {later}")


@T.case
def pg_result_limit():
    _, pg = env()
    r = ops("v3", pg.conn(),
            ("query", "SELECT repeat('x', 1000000) FROM generate_series(1, 40)", []),
            ("query", "SELECT 1", []))
    eq(r[0]["err"], "Error_Other", f"a 40 MB result is refused: {r[0]}")
    check("larger than" in r[0]["msg"], r[0]["msg"])
    eq(r[1]["err"], "Error_QueryFailed", "the connection was dropped after the limit")


if __name__ == "__main__":
    raise SystemExit(T.main())
