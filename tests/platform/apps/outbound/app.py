"""Outbound HTTP test app: one module for every component of spin.toml.

COMPONENT (from the component's environment) picks the behaviour:
  backend  echoes what it received as JSON (status 203, x-backend: yes)
  loop     calls itself through http://loop.spin.internal until refused
  proxy    changes a few headers and forwards with send_to_origin
  hello    answers "hello from self"
  others   run the operation described by the JSON request body (run())
"""

import asyncio
import base64
import hashlib
import http.client
import json
import os
import urllib.error
import urllib.request

import _pyedge
from spin_sdk import http as spin_http
from spin_sdk import variables
from spin_sdk.http import IncomingHandler as _Base
from spin_sdk.http import Request, Response

COMPONENT = os.environ.get("COMPONENT", "?")


def _json(status, doc, headers=None):
    h = {"content-type": "application/json"}
    h.update(headers or {})
    return Response(status, h, json.dumps(doc).encode())


def _body_doc(data):
    doc = {"body_len": len(data), "body_sha256": hashlib.sha256(data).hexdigest()}
    if len(data) <= 65536:
        doc["body"] = data.decode("latin-1")
    return doc


def _error(e):
    doc = {"error": type(e).__name__, "message": str(e)}
    value = getattr(e, "value", None)
    if value is not None:
        doc["code"] = type(value).__name__
    reason = getattr(e, "reason", None)
    if reason is not None:
        doc["reason_type"] = type(reason).__name__
        doc["reason"] = str(reason)
    return doc


def _request(a):
    body = a.get("body")
    if "body_b64" in a:
        body = base64.b64decode(a["body_b64"])
    elif body is not None:
        body = body.encode()
    return Request(a.get("method", "GET"), a["url"], dict(a.get("headers", {})), body)


def op_send(a):
    r = spin_http.send(_request(a))
    return {"status": r.status, "headers": dict(r.headers), **_body_doc(r.body)}


def op_send_await(a):
    async def main():
        reqs = [_request(a) for _ in range(a.get("n", 1))]
        return await asyncio.gather(*(spin_http.send(q) for q in reqs))

    rs = asyncio.run(main())
    return {"statuses": [r.status for r in rs], "types": [type(r).__name__ for r in rs],
            "bodies": [r.body.decode("latin-1") for r in rs]}


def op_urllib(a):
    data = a.get("body")
    req = urllib.request.Request(a["url"], data=data.encode() if data is not None else None,
                                 headers=a.get("headers", {}), method=a.get("method"))
    kw = {"timeout": a["timeout"]} if "timeout" in a else {}
    try:
        with urllib.request.urlopen(req, **kw) as r:
            return {"status": r.status, "url": r.url, "headers": r.getheaders(),
                    **_body_doc(r.read())}
    except urllib.error.HTTPError as e:
        return {"http_error": e.code, "body": e.read().decode("latin-1")}


def op_httpclient(a):
    cls = http.client.HTTPSConnection if a.get("https") else http.client.HTTPConnection
    conn = cls(a["host"], a["port"], **({"timeout": a["timeout"]} if "timeout" in a else {}))
    out = []
    for q in a["requests"]:
        body = q.get("body")
        if q.get("chunked"):
            body = iter([c.encode() for c in q["chunks"]])
        conn.request(q.get("method", "GET"), q["path"], body=body, headers=q.get("headers", {}))
        r = conn.getresponse()
        data = r.read()
        out.append({"status": r.status, "reason": r.reason, "headers": r.getheaders(),
                    **_body_doc(data)})
    conn.close()
    return {"responses": out}


def op_httpclient_manual(a):
    """putrequest / putheader / endheaders / send / getresponse by hand."""
    conn = http.client.HTTPConnection(a["host"], a["port"])
    body = a["body"].encode()
    conn.putrequest("PUT", a["path"])
    conn.putheader("Content-Length", str(len(body)))
    conn.putheader("X-Manual", "yes")
    conn.endheaders()
    conn.send(body[:3])
    conn.send(body[3:])
    r = conn.getresponse()
    return {"status": r.status, **_body_doc(r.read())}


def op_many(a):
    ok, first_error = 0, None
    for _ in range(a["n"]):
        try:
            spin_http.send(Request("GET", a["url"], {}, None))
            ok += 1
        except Exception as e:
            first_error = first_error or _error(e)
    return {"ok": ok, "first_error": first_error}


def op_raw(a):
    reply = _pyedge.call(a["service"], base64.b64decode(a["payload"]))
    return {"status": reply[0], "rest": reply[1:].decode("utf-8", "replace")}


def op_var(a):
    return {"value": str(variables.get(a["name"]))}


OPS = {k[3:]: v for k, v in globals().items() if k.startswith("op_")}


def run(request):
    a = json.loads(request.body or b"{}")
    try:
        doc = OPS[a["op"]](a)
    except Exception as e:
        doc = _error(e)
    return _json(200, doc)


def backend(request):
    doc = {"component": COMPONENT, "method": request.method, "uri": request.uri,
           "headers": request.headers, "body": (request.body or b"").decode("latin-1")}
    return _json(203, doc, {"x-backend": "yes"})


def loop(request):
    depth = int(request.headers.get("x-depth", "0"))
    try:
        r = spin_http.send(Request("GET", "http://loop.spin.internal/loop/again",
                                   {"x-depth": str(depth + 1)}, None))
        return Response(r.status, {"content-type": "application/json"}, r.body)
    except Exception as e:
        return _json(200, {"depth": depth, **_error(e)})


def proxy(request):
    request.headers["x-added"] = "by-proxy"
    request.headers.pop("x-remove-me", None)
    request.headers["connection"] = "keep-alive"  # hop-by-hop: must not be forwarded
    try:
        return spin_http.send_to_origin(request)
    except Exception as e:
        return _json(502, _error(e))


class IncomingHandler(_Base):
    def handle_request(self, request):
        if COMPONENT == "backend":
            return backend(request)
        if COMPONENT == "loop":
            return loop(request)
        if COMPONENT == "proxy":
            return proxy(request)
        if COMPONENT == "hello":
            return Response(200, {"content-type": "text/plain"}, b"hello from self")
        return run(request)
