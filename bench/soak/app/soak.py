"""The soak's main component: GET or POST /<kind>/<rid>[?query], where rid
is the soak's unique id of the request (so that the access log names it).

  good      200 "ok <rid>"
  raise     an exception in the handler (500)
  spin      a loop past --request-timeout (504)
  alloc     ?how=big: one allocation far past --max-instance-memory;
            ?how=grow: 1 MiB at a time until the limit (MemoryError, 500)
  trap      300,000 nested map() iterators: the native stack runs out, the
            sandbox traps (500)
  body      POST: 200 "<length> <sha256>" of the request body
  big       ?n=N: 200 with N bytes, "0123456789abcdef" repeated
  sleep     ?ms=M: sleeps M ms in the host, then 200 "slept <rid>"
  out       ?to=ok|stall|reset: GET http://127.0.0.1:<origin_port>/<to>/<rid>
            (spin_sdk.http.send); 200 with the origin's body, or 502 with
            the error
  kv        ?store=default|redis, POST value: set key "soak-<rid>", 200
            "stored <rid>"
  kvget     POST {"store": s, "keys": [...]}: 200 {key: value or null}
  sql       POST value: INSERT INTO soak (id, v) VALUES (rid, value), 200
            "inserted <rid>"
  sqlget    POST {"ids": [...]}: 200 {id: v} for the ids present
"""
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

from spin_sdk import http, key_value, sqlite, variables
from spin_sdk.http import Request, Response
from spin_sdk.sqlite import Value_Text

PATTERN = b"0123456789abcdef"


def text(status, body, ctype="text/plain"):
    return Response(status, {"content-type": ctype}, body.encode() if isinstance(body, str) else body)


def store(name):
    return key_value.open_default() if name == "default" else key_value.open(name)


def handle(kind, rid, q, body):
    if kind == "good":
        return text(200, f"ok {rid}")
    if kind == "raise":
        raise ValueError(f"failing on purpose ({rid})")
    if kind == "spin":
        while True:
            pass
    if kind == "alloc":
        if q.get("how") == "grow":
            chunks = []
            while True:
                chunks.append(bytearray(1 << 20))
        hog = bytearray(512 << 20)
        return text(200, f"allocated {len(hog)}")
    if kind == "trap":
        it = iter([1])
        for _ in range(300000):
            it = map(abs, it)
        next(it)
        return text(200, "survived")
    if kind == "body":
        return text(200, f"{len(body)} {hashlib.sha256(body).hexdigest()}")
    if kind == "big":
        n = int(q["n"])
        data = PATTERN * (n // len(PATTERN) + 1)
        return text(200, data[:n], "application/octet-stream")
    if kind == "sleep":
        import time
        time.sleep(int(q.get("ms", "100")) / 1000)
        return text(200, f"slept {rid}")
    if kind == "out":
        port = variables.get("origin_port")
        url = f"http://127.0.0.1:{port}/{q.get('to', 'ok')}/{rid}"
        try:
            r = http.send(Request("GET", url, {}, None))
        except Exception as e:  # stalls and resets end here
            return text(502, f"{type(e).__name__}: {e}")
        return text(r.status, r.body or b"")
    if kind == "kv":
        with store(q["store"]) as s:
            s.set(f"soak-{rid}", body)
        return text(200, f"stored {rid}")
    if kind == "kvget":
        doc = json.loads(body)
        out = {}
        with store(doc["store"]) as s:
            for k in doc["keys"]:
                v = s.get(k)
                out[k] = None if v is None else v.decode()
        return text(200, json.dumps(out), "application/json")
    if kind == "sql":
        with sqlite.open_default() as db:
            db.execute("INSERT INTO soak (id, v) VALUES (?, ?)",
                       [Value_Text(rid), Value_Text(body.decode())])
        return text(200, f"inserted {rid}")
    if kind == "sqlget":
        ids = json.loads(body)["ids"]
        out = {}
        with sqlite.open_default() as db:
            for k in range(0, len(ids), 200):
                part = ids[k:k + 200]
                marks = ",".join("?" * len(part))
                r = db.execute(f"SELECT id, v FROM soak WHERE id IN ({marks})",
                               [Value_Text(i) for i in part])
                for row in r.rows:
                    out[row.values[0].value] = row.values[1].value
        return text(200, json.dumps(out), "application/json")
    return text(404, f"no such kind {kind!r}")


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        parts = urlsplit(request.uri)
        segs = parts.path.strip("/").split("/")
        kind, rid = segs[0], (segs[1] if len(segs) > 1 else "-")
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return handle(kind, rid, q, request.body or b"")
