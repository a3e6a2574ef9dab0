"""spin-sdk 4.0 style (async) PostgreSQL test component.

POST /v4/ops      as /v3/ops (pgapp.py), through the async API: query's
                  (columns, stream, future) collected with spin_sdk.util.collect
GET  /v4/example?conn=...  the SDK 4.0 example app: RowSet from the stream
"""

import json
from urllib.parse import parse_qs

from pgvalues import Err, data_type, err, param, value
from spin_sdk import http, util
from spin_sdk.http import Response
from spin_sdk.postgres import Connection, RowSet
from spin_sdk.wit.imports.rdbms_types import DbValue_DbNull


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


def cell(v):
    return "NULL" if isinstance(v, DbValue_DbNull) else str(v.value)


async def example(conn):
    """The shape of spin-sdk 4.0's postgres example: Connection.open, the
    rows collected from query's stream into a RowSet, a text table."""
    with await Connection.open(conn) as db:
        columns, rows, status = await db.query("SELECT * FROM test", [])
        result = RowSet(columns, await util.collect((rows, status)))
    head = " | ".join(col.name for col in result.columns)
    body = [" | ".join(cell(v) for v in row) for row in result.rows]
    return "\n".join([head, "-" * len(head), *body])


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
