"""Times host-service calls from inside the sandbox (bench/platform/kv_sqlite.py).

GET /run?op=<op>&n=<calls>  ->  {"op": ..., "n": ..., "seconds": ...}
ops: floor (a host call that does nothing: the call's own cost), kv_get,
kv_set, sql_point (one row by primary key), sql_scan100 (100 rows), and
kv_get_raw / sql_point_raw (the same host calls with a ready payload and no
SDK: what the host's side costs).
The store and database are opened once per request, outside the timing.
"""
import json
import time
from urllib.parse import parse_qs

import _pyedge
import pyedge_hostcall as hc
from spin_sdk import http, key_value, sqlite
from spin_sdk.http import Response
from spin_sdk.sqlite import Value_Integer

VALUE = b"v" * 100


def run(op, n):
    with key_value.open_default() as store, sqlite.open_default() as db:
        t0 = time.perf_counter()
        if op == "floor":
            for _ in range(n):
                _pyedge.call("kv.nope", b"")
        elif op == "kv_get":
            for _ in range(n):
                store.get("bench-key")
        elif op == "kv_set":
            for i in range(n):
                store.set("bench-set", VALUE)
        elif op == "sql_point":
            for i in range(n):
                db.execute("SELECT id, name, score FROM items WHERE id = ?", [Value_Integer(i % 1000 + 1)])
        elif op == "sql_scan100":
            for i in range(n):
                db.execute("SELECT id, name, score FROM items WHERE id > ? LIMIT 100",
                           [Value_Integer(i % 900)])
        elif op == "kv_get_raw":
            payload = hc.encode(store._handle, b"bench-key")
            for _ in range(n):
                _pyedge.call("kv.get", payload)
        elif op == "sql_point_raw":
            payload = hc.encode(db._handle, "SELECT id, name, score FROM items WHERE id = ?",
                                b"i" + (5).to_bytes(8, "little"))
            for _ in range(n):
                _pyedge.call("sqlite.execute", payload)
        else:
            raise ValueError(op)
        return time.perf_counter() - t0


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        q = parse_qs(request.uri.partition("?")[2])
        op, n = q["op"][0], int(q["n"][0])
        secs = run(op, n)
        return Response(200, {"content-type": "application/json"},
                        json.dumps({"op": op, "n": n, "seconds": secs}).encode())
