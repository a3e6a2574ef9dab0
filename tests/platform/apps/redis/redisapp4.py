"""spin-sdk 4.0 style (async) outbound Redis test component.

GET /v4/roundtrip?addr=...  every operation through the async API, with the
                            spin:redis/redis@3.0.0 module's names; returns
                            what it saw as JSON
GET /v4/open?addr=...       only opens (the error, if any)
GET /v4/sync?addr=...       fermyon:spin/redis@2.0.0, synchronous in 4.0 too
"""

import json

from componentize_py_types import Err
from spin_sdk import http, redis
from spin_sdk.http import Response
from spin_sdk.wit.imports import spin_redis_redis_3_0_0 as r3


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        path, _, query = request.uri.partition("?")
        address = query.partition("=")[2]
        if path.endswith("/sync"):
            from spin_sdk.wit.imports import fermyon_spin_redis_2_0_0 as r2
            with r2.Connection.open(address) as db:
                db.set("v4-sync", b"s")
                doc = {"got": db.get("v4-sync").decode(), "deleted": db.del_(["v4-sync"])}
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        try:
            db = await redis.open(address)
        except Err as e:
            doc = {"open_err": type(e.value).__name__}
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        with db:
            if path.endswith("/open"):
                doc = {"opened": True}
            else:
                await db.set("v4-key", b"v4-value")
                got = await db.get("v4-key")
                missing = await db.get("v4-missing")
                n = await db.incr("v4-n")
                added = await db.sadd("v4-set", ["a", "b", "c"])
                removed = await db.srem("v4-set", ["c", "zz"])
                members = sorted(await db.smembers("v4-set"))
                await db.publish("v4-chan", b"hi")
                ex = await db.execute("MGET", [r3.RedisParameter_Binary(b"v4-key"),
                                               r3.RedisParameter_Binary(b"v4-none")])
                deleted = await db.del_(["v4-key", "v4-n", "v4-set", "v4-absent"])
                try:
                    await db.execute("LPUSH", [r3.RedisParameter_Binary(b"v4-list"),
                                               r3.RedisParameter_Int64(1)])
                    await db.get("v4-list")
                    type_err = None
                except Err as e:
                    type_err = [type(e.value).__name__, getattr(e.value, "value", None)]
                await db.del_(["v4-list"])
                doc = {"got": got.decode(), "missing": missing, "n": n, "added": added,
                       "removed": removed, "members": members,
                       "execute": [[type(r).__name__, getattr(r, "value", b"").decode() or None]
                                   for r in ex],
                       "deleted": deleted, "wrongtype": type_err}
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
