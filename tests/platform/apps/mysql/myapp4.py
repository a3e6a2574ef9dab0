"""spin-sdk 4.0 style MySQL test component: an async handler calling the
(synchronous) spin_sdk.mysql, as the SDK's own example does.

POST /v4/ops      as /v3/ops (myapp.py)
GET  /v4/example?conn=...   the SDK 4.0 example: print(db.query(...)) in a `with`
"""

import json
from urllib.parse import parse_qs

from myvalues import ops
from spin_sdk import http, mysql
from spin_sdk.http import Request, Response


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        path, _, query = request.uri.partition("?")
        if path.endswith("/example"):
            with mysql.open(parse_qs(query)["conn"][0]) as db:
                print(db.query("select * from test", []))
            return Response(200, {"content-type": "text/plain"}, b"Hello from Python!")
        if path.endswith("/ops"):
            doc = ops(mysql, json.loads(request.body or b"{}"))
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        return Response(404, {}, b"no such test route")
