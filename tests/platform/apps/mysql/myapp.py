"""spin-sdk 3.x style MySQL test component (tests/platform/test_mysql.py).

POST /v3/ops      {"conn": str, "ops": [["query"|"execute", sql, [param...]], ...]}
POST /v3/open     {"conn": str, "n": k} opens k connections, says how far it got
POST /v3/global   keeps a connection in a global; later requests use it
POST /v3/raw      a probe script (../common/probe.py)
GET  /v3/example?conn=...   the SDK's example app: select * from test
"""

import json
from urllib.parse import parse_qs

import probe
from myvalues import Err, err, ops
from spin_sdk import http, mysql
from spin_sdk.http import Response


def open_many(req):
    opened = []
    try:
        for _ in range(req["n"]):
            opened.append(mysql.open(req["conn"]))
        return {"opened": len(opened)}
    except Err as e:
        return {"opened": len(opened), **err(e)}
    finally:
        for c in opened:
            c.close()


_kept = None


def keep(req):
    global _kept
    first = _kept is None
    if first:
        _kept = mysql.open(req["conn"])
    try:
        return {"first": first, "rows": len(_kept.query("SELECT 1", []).rows)}
    except Err as e:
        return {"first": first, **err(e)}


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path, _, query = request.uri.partition("?")
        if path.endswith("/raw"):
            return probe.response(request.body)
        if path.endswith("/example"):
            with mysql.open(parse_qs(query)["conn"][0]) as db:
                text = str(db.query("select * from test", []))
            return Response(200, {"content-type": "text/plain"}, text.encode())
        req = json.loads(request.body or b"{}")
        if path.endswith("/ops"):
            doc = ops(mysql, req)
        elif path.endswith("/open"):
            doc = open_many(req)
        elif path.endswith("/global"):
            doc = keep(req)
        else:
            return Response(404, {}, b"no such test route")
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
