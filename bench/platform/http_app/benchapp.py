"""GET /?mode=M&n=N&port=P: N outbound GETs to http://127.0.0.1:P/ with one
of spin_sdk.http.send, urllib.request.urlopen, one http.client connection,
or the bare host call with a ready payload; answers the microseconds per
call measured here (time.perf_counter), so HTTP in and out of the sandbox
is not counted."""

import http.client
import json
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pyedge_hostcall as hc
from spin_sdk.http import IncomingHandler as Base
from spin_sdk.http import Request, Response, send


def run(mode, n, port):
    url = f"http://127.0.0.1:{port}/"
    if mode == "send":
        req = Request("GET", url, {}, None)
        for _ in range(n):
            send(req)
    elif mode == "urllib":
        for _ in range(n):
            with urllib.request.urlopen(url) as r:
                r.read()
    elif mode == "http_client":
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(n):
            conn.request("GET", "/")
            conn.getresponse().read()
        conn.close()
    elif mode == "raw":
        payload = hc.encode(b"GET", url.encode(), hc.u64(0), hc.u64(0), b"")
        for _ in range(n):
            hc.call_raw("http.send", payload)
    else:
        raise ValueError(mode)


class IncomingHandler(Base):
    def handle_request(self, request):
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.uri).query).items()}
        n = int(q["n"])
        t0 = time.perf_counter()
        run(q["mode"], n, int(q["port"]))
        us = (time.perf_counter() - t0) / n * 1e6
        return Response(200, {"content-type": "application/json"},
                        json.dumps({"us_per_call": us}).encode())
