"""spin-sdk 3.x style outbound Redis test component.

POST /v3/ops   {"address": "redis://...", "ops": [[op, args...], ...]}
    ops: ["set", key, b64] ["get", key] ["incr", key] ["del", [key...]]
         ["sadd", key, [member...]] ["smembers", key]
         ["srem", key, [member...]] ["publish", channel, b64]
         ["execute", command, [{"i": n} | {"b": b64}...]] ["close"]
         ["set_big", key, n] ["get_len", key] ["legacy"] ["open_many", n] (opens n more connections to the address; how
         many opened and the error that stopped it) ["sleep", seconds]
         ["bad", what] (arguments of the wrong Python type)
    -> {"results": [...]}: per op its value (bytes as base64, execute's
       results as [kind, value]) or {"err": name, "msg": ..., "notes": ...};
       an error opening is {"open_err": ..., "msg": ..., "notes": ...}
POST /v3/raw   a probe script (probe.py)
GET  /v3/stale?addr=...  keeps a connection in a module global; in a
               sandbox reused for a later request, uses the kept one
"""

import base64
import json
import time

import probe
from spin_sdk import http, redis
from spin_sdk.http import Response
from spin_sdk.wit.imports import fermyon_spin_redis_2_0_0 as wit_redis
from spin_sdk.wit.types import Err

kept = None


def err(e, key="err"):
    v = e.value
    return {key: type(v).__name__, "msg": getattr(v, "value", None),
            "notes": getattr(e, "__notes__", [])}


def result(r):
    kind = type(r).__name__.split("_", 1)[1]
    v = getattr(r, "value", None)
    if isinstance(v, bytes):
        v = base64.b64encode(v).decode()
    return [kind, v]


def param(p):
    if "i" in p:
        return redis.RedisParameter_Int64(p["i"])
    return wit_redis.RedisParameter_Binary(base64.b64decode(p["b"]))


def run_op(db, address, op):
    name, args = op[0], op[1:]
    if name == "set":
        return db.set(args[0], base64.b64decode(args[1]))
    if name == "get":
        v = db.get(args[0])
        return None if v is None else base64.b64encode(v).decode()
    if name == "incr":
        return db.incr(args[0])
    if name == "del":
        return db.del_(args[0])
    if name == "sadd":
        return db.sadd(args[0], args[1])
    if name == "smembers":
        return sorted(db.smembers(args[0]))
    if name == "srem":
        return db.srem(args[0], args[1])
    if name == "publish":
        return db.publish(args[0], base64.b64decode(args[1]))
    if name == "execute":
        return [result(r) for r in db.execute(args[0], [param(p) for p in args[1]])]
    if name == "set_big":  # a value of n bytes made here, not sent in the request
        return db.set(args[0], b"x" * args[1])
    if name == "get_len":
        return len(db.get(args[0]))
    if name == "close":
        db.close()
        return True
    if name == "sleep":
        time.sleep(args[0])
        return True
    if name == "bad":
        try:
            if args[0] == "key":
                db.get(5)
            elif args[0] == "value":
                db.set("k", "text")
            elif args[0] == "param":
                db.execute("PING", [b"raw"])
            elif args[0] == "range":
                db.execute("PING", [redis.RedisParameter_Int64(1 << 63)])
        except (TypeError, OverflowError) as e:
            return {"err": type(e).__name__}
        return "no error"
    if name == "legacy":  # the first interface: the address in every call
        from spin_sdk.wit.imports import fermyon_spin_redis as v1
        from spin_sdk.wit.imports import redis_types
        v1.set(address, "legacy", b"one")
        out = [v1.get(address, "legacy"), v1.get(address, "legacy-absent"), v1.incr(address, "legacy-n"),
               v1.sadd(address, "legacy-s", ["x"]), v1.smembers(address, "legacy-s"),
               [result(r) for r in v1.execute(address, "ECHO", [redis_types.RedisParameter_Binary(b"e")])],
               v1.del_(address, ["legacy", "legacy-n", "legacy-s"])]
        out[0:2] = [base64.b64encode(b).decode() for b in out[0:2]]
        try:
            v1.get("redis://127.0.0.1:1", "x")
        except Err as e:
            out.append([repr(e.value), e.__notes__])
        return out
    if name == "open_many":
        opened = []
        try:
            for _ in range(args[0]):
                opened.append(redis.open(address))
            return {"opened": len(opened)}
        except Err as e:
            return {"opened": len(opened), **err(e)}
        finally:
            for c in opened:
                c.close()
    raise ValueError(f"unknown op {name}")


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        global kept
        path = request.uri.split("?")[0]
        query = request.uri.partition("?")[2]
        if path.endswith("/raw"):
            return probe.response(request.body)
        if path.endswith("/stale"):
            address = query.partition("=")[2]
            if kept is None:
                kept = redis.open(address)
                kept.set("stale", b"first")
                doc = {"kept": True}
            else:
                try:
                    doc = {"used": kept.get("stale") is not None}
                except Err as e:
                    doc = err(e)
            return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
        doc = json.loads(request.body)
        try:
            db = redis.open(doc["address"])
        except Err as e:
            out = err(e, "open_err")
        else:
            results = []
            with db:
                for op in doc["ops"]:
                    try:
                        results.append(run_op(db, doc["address"], op))
                    except Err as e:
                        results.append(err(e))
            out = {"results": results, "repr": repr(db)}
        return Response(200, {"content-type": "application/json"}, json.dumps(out).encode())
