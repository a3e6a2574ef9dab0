"""spin-sdk 3.x style key-value test component.

POST /v3/ops   {"store": "default", "ops": [[op, args...], ...]}
    ops: ["get", key] ["set", key, b64] ["delete", key] ["exists", key]
         ["keys"] ["close"] ["incr", key] ["dump", prefix] (keys -> values)
         ["set_text", key, str] (a str value: TypeError) ["get_int", n]
         (an int key: TypeError) ["open_many", label, n] (opens n more
         stores; the error that stopped it, with how many were open)
    -> {"results": [...]} with, per op, its value (base64 for values) or
       {"err": "<Error_* name>", "msg": ...}; an error opening the store is
       {"open_err": ..., "msg": ...}
POST /v3/raw   a probe script (probe.py)
GET  /v3/with  opens the default store in a `with` block, then uses it after
               the block (must fail: the store is closed)
GET  /v3/stale keeps a store of "other" in a module global; in a sandbox
               reused for a later request, opens "default" and then uses
               the kept store (must fail, not reach "default")
"""

import base64
import json

import probe
from spin_sdk import http, key_value
from spin_sdk.http import Response
from spin_sdk.wit.types import Err


def err(e):
    v = e.value
    return {"err": type(v).__name__, "msg": getattr(v, "value", None)}


def run_op(store, op):
    name, args = op[0], op[1:]
    if name == "get":
        v = store.get(args[0])
        return None if v is None else base64.b64encode(v).decode()
    if name == "set":
        store.set(args[0], base64.b64decode(args[1]))
        return True
    if name == "delete":
        store.delete(args[0])
        return True
    if name == "exists":
        return store.exists(args[0])
    if name == "keys":
        keys = store.get_keys()
        assert isinstance(keys, list), type(keys)
        return sorted(keys)
    if name == "close":
        store.close()
        return True
    if name == "dump":
        return {k: store.get(k).decode("utf-8", "replace") for k in store.get_keys()
                if k.startswith(args[0])}
    if name == "set_text":
        store.set(args[0], args[1])
        return True
    if name == "get_int":
        store.get(args[0])
        return True
    if name == "open_many":
        opened = []
        try:
            for _ in range(args[1]):
                opened.append(key_value.open(args[0]))
            return {"opened": len(opened)}
        except Err as e:
            return {"opened": len(opened), "err": type(e.value).__name__}
        finally:
            for s in opened:
                s.close()
    if name == "incr":
        v = store.get(args[0])
        n = int(v or b"0") + 1
        store.set(args[0], str(n).encode())
        return n
    raise ValueError(f"unknown op {name}")


def ops(body):
    req = json.loads(body)
    try:
        store = key_value.open(req.get("store", "default")) if req.get("store") != "default" \
            else key_value.open_default()
    except Err as e:
        return {"open_err": type(e.value).__name__, "msg": getattr(e.value, "value", None)}
    results = []
    for op in req["ops"]:
        try:
            results.append(run_op(store, op))
        except Err as e:
            results.append(err(e))
        except TypeError as e:
            results.append({"err": "TypeError", "msg": str(e)})
    return {"results": results}


def after_with():
    with key_value.open_default() as store:
        store.set("with-key", b"inside")
        inside = store.get("with-key")
    try:
        store.get("with-key")
        after = "no error"
    except Err as e:
        after = err(e)
    return {"inside": inside.decode(), "after": after}


_kept = None


def stale():
    global _kept
    if _kept is None:
        _kept = key_value.open("other")
        _kept.set("stale-probe", b"other")
        return {"first": True}
    fresh = key_value.open_default()
    fresh.set("stale-probe", b"default")
    try:
        got = _kept.get("stale-probe")
        return {"first": False, "got": got.decode() if got is not None else None}
    except Err as e:
        return {"first": False, "err": err(e)}


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        path = request.uri.split("?")[0]
        if path.endswith("/raw"):
            return probe.response(request.body)
        if path.endswith("/ops"):
            doc = ops(request.body)
        elif path.endswith("/with"):
            doc = after_with()
        elif path.endswith("/stale"):
            doc = stale()
        else:
            return Response(404, {}, b"no such test route")
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
