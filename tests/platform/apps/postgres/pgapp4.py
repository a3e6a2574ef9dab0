"""spin-sdk 4.0 style (async) PostgreSQL test component.

POST /v4/ops      as /v3/ops (pgapp.py), through the async API: query's
                  (columns, stream, future) collected with spin_sdk.util.collect
GET  /v4/example?conn=...  the SDK 4.0 example app: RowSet from the stream
"""

import json
from urllib.parse import parse_qs

from pgvalues import Err, data_type, err, param, value
from spin_sdk import http, postgres, util
from spin_sdk.http import Response
from spin_sdk.postgres import Connection, RowSet


async def run_op(db, op):
    kind, sql, params = op[0], op[1], [param(p) for p in op[2]]
    if kind == "query":
        columns, stream, future = await db.query(sql, params)
        rows = await util.collect((stream, future))
        return {"columns": [[c.name, data_type(c.data_type)] for c in columns],
                "rows": [[value(v) for v in row] for row in rows]}
    return {"affected": await db.execute(sql, params)}


async def ops(req):
    try:
        db = await Connection.open(req["conn"])
    except Err as e:
        return {"open_err": err(e)}
    results = []
    with db:
        for op in req["ops"]:
            try:
                results.append(await run_op(db, op))
            except Err as e:
                results.append(err(e))
    return {"results": results}


def format_value(v):
    return str(v.value) if hasattr(v, "value") else "NULL"


async def example(conn):
    with await Connection.open(conn) as db:
        columns, stream, future = await db.query("SELECT * FROM test", [])
        rows = await util.collect((stream, future))
        rowset = RowSet(columns, list(rows))
    lines = [" | ".join(c.name for c in rowset.columns)]
    lines.append("-" * len(lines[0]))
    for row in rowset.rows:
        lines.append(" | ".join(format_value(v) for v in row))
    return "\n".join(lines)


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        path, _, query = request.uri.partition("?")
        if path.endswith("/example"):
            text = await example(parse_qs(query)["conn"][0])
            return Response(200, {"content-type": "text/plain"}, text.encode())
        if path.endswith("/ops"):
            doc = await ops(json.loads(request.body or b"{}"))
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        return Response(404, {}, b"no such test route")
