"""spin-sdk 3.x style PostgreSQL test component (tests/platform/test_postgres.py).

POST /v3/ops      {"conn": str, "ops": [["query"|"execute", sql, [param...]], ...]}
                  runs them on one connection; each result is
                  {"columns": [[name, type]], "rows": [[value...]]}, {"affected": n}
                  or {"err": variant, "msg": ...}
POST /v3/open     {"conn": str, "n": k} opens k connections, says how far it got
POST /v3/global   {"conn": str} first call keeps a connection in a global,
                  later calls use it
POST /v3/raw      a probe script (../common/probe.py)
GET  /v3/example?conn=...  the SDK's example app: SELECT * FROM test as a table
"""

import json
from urllib.parse import parse_qs

import probe
from pgvalues import Err, data_type, err, param, value
from spin_sdk import http, postgres
from spin_sdk.http import Response
from spin_sdk.wit.imports.rdbms_types import DbValue_DbNull


def run_op(db, op):
    kind, sql, params = op[0], op[1], [param(p) for p in op[2]]
    if kind == "query":
        rs = db.query(sql, params)
        return {"columns": [[c.name, data_type(c.data_type)] for c in rs.columns],
                "rows": [[value(v) for v in row] for row in rs.rows]}
    return {"affected": db.execute(sql, params)}


def ops(req):
    try:
        db = postgres.open(req["conn"])
    except Err as e:
        return {"open_err": err(e)}
    results = []
    with db:
        for op in req["ops"]:
            try:
                results.append(run_op(db, op))
            except Err as e:
                results.append(err(e))
    return {"results": results}


def open_many(req):
    opened = []
    try:
        for _ in range(req["n"]):
            opened.append(postgres.open(req["conn"]))
        return {"opened": len(opened)}
    except Err as e:
        return {"opened": len(opened), **err(e)}
    finally:
        for c in opened:
            c.close()


_kept = None


def keep(req):
    global _kept
    if _kept is None:
        _kept = postgres.open(req["conn"])
        return {"first": True, "rows": len(_kept.query("SELECT 1", []).rows)}
    try:
        return {"first": False, "rows": len(_kept.query("SELECT 1", []).rows)}
    except Err as e:
        return {"first": False, **err(e)}


def cell(v):
    """A value as the example prints it: its payload, or NULL."""
    return "NULL" if isinstance(v, DbValue_DbNull) else str(v.value)


def example(conn):
    """The shape of spin-sdk's postgres example: open, SELECT * FROM test,
    answer the rows as a text table."""
    with postgres.open(conn) as db:
        result = db.query("SELECT * FROM test", [])
    head = " | ".join(col.name for col in result.columns)
    body = [" | ".join(cell(v) for v in row) for row in result.rows]
    return "\n".join([head, "-" * len(head), *body])


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path, _, query = request.uri.partition("?")
        if path.endswith("/raw"):
            return probe.response(request.body)
        if path.endswith("/example"):
            text = example(parse_qs(query)["conn"][0])
            return Response(200, {"content-type": "text/plain"}, text.encode())
        req = json.loads(request.body or b"{}")
        if path.endswith("/ops"):
            doc = ops(req)
        elif path.endswith("/open"):
            doc = open_many(req)
        elif path.endswith("/global"):
            doc = keep(req)
        else:
            return Response(404, {}, b"no such test route")
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
