"""spin-sdk 3.x style SQLite test component.

POST /v3/sql   {"db": "default", "stmts": [[sql, [param...]], ...], "close_after": k}
    a param is ["i", int] ["r", float] ["t", str] ["b", base64] ["n"], or
    ["raw", json value] for a plain Python value (int, float, str, None);
    all statements run on one connection, in order;
    -> {"results": [...]} per statement {"columns": [...], "rows": [[tagged]...],
       "changes": n, "last_insert_rowid": n} or {"err": "<Error_*>", "msg": ...};
       an error opening is {"open_err": ..., "msg": ...}
POST /v3/raw   a probe script (probe.py)
"""

import base64
import json

import probe
from spin_sdk import http, sqlite
from spin_sdk.http import Response
from spin_sdk.sqlite import (QueryResult, RowResult, Value_Blob, Value_Integer, Value_Null,
                             Value_Real, Value_Text)
from spin_sdk.wit.types import Err


def param(p):
    tag = p[0]
    if tag == "i":
        return Value_Integer(p[1])
    if tag == "r":
        return Value_Real(p[1])
    if tag == "t":
        return Value_Text(p[1])
    if tag == "b":
        return Value_Blob(base64.b64decode(p[1]))
    if tag == "n":
        return Value_Null()
    return p[1]  # "raw"


def tagged(v):
    if isinstance(v, Value_Integer):
        return ["i", v.value]
    if isinstance(v, Value_Real):
        return ["r", v.value]
    if isinstance(v, Value_Text):
        return ["t", v.value]
    if isinstance(v, Value_Blob):
        return ["b", base64.b64encode(v.value).decode()]
    if isinstance(v, Value_Null):
        return ["n"]
    return ["?", repr(v)]


def run(body):
    req = json.loads(body)
    name = req.get("db", "default")
    try:
        conn = sqlite.open_default() if name == "default" else sqlite.open(name)
    except Err as e:
        return {"open_err": type(e.value).__name__, "msg": getattr(e.value, "value", None)}
    results = []
    with conn:
        for i, (sql, params) in enumerate(req["stmts"]):
            if req.get("close_after") == i:
                conn.close()
            try:
                r = conn.execute(sql, [param(p) for p in params])
                assert isinstance(r, QueryResult) and all(isinstance(x, RowResult) for x in r.rows)
                results.append({"columns": r.columns,
                                "rows": [[tagged(v) for v in row.values] for row in r.rows],
                                "changes": conn.changes(),
                                "last_insert_rowid": conn.last_insert_rowid()})
            except Err as e:
                results.append({"err": type(e.value).__name__, "msg": getattr(e.value, "value", None)})
            except (TypeError, OverflowError) as e:
                results.append({"err": type(e).__name__, "msg": str(e)})
    return {"results": results}


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path = request.uri.split("?")[0]
        if path.endswith("/raw"):
            return probe.response(request.body)
        if path.endswith("/sql"):
            doc = run(request.body)
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        return Response(404, {}, b"no such test route")
