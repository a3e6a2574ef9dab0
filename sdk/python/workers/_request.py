"""workers.Request: the inbound request as Python Workers code sees it.

    request.method      "GET" (an http.HTTPMethod when it is a standard one)
    request.url         the full URL, "http://host/path?query"
    request.headers     workers.Headers (case-insensitive get)
    await request.text() / .json() / .bytes()   the body

Built from the spin_sdk.http.Request that pyedge_entry decoded. The full URL
is the host's `spin-full-url` header. Two Cloudflare headers are filled in
from what the host knows, replacing any a client sent: `cf-connecting-ip`
(the peer address from `spin-client-addr`) and, when `pyedge up` sets
x-user-location (--geoip-db, --trusted-proxy), `cf-ipcountry`.
"""

import http
import json as _json

from ._headers import Headers

__all__ = ["Request"]


def _method(m):
    try:
        return http.HTTPMethod(m)
    except ValueError:
        return m


def _client_ip(addr):
    """"1.2.3.4:5678" or "::1:5678" (spin-client-addr) -> the address."""
    host, sep, port = addr.rpartition(":")
    return host if sep and port.isdigit() else addr


class Request:
    def __init__(self, url, method="GET", headers=None, body=b""):
        self.url = url
        self.method = _method(method)
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self._body = bytes(body or b"")
        self.body_used = False

    @classmethod
    def _from_spin(cls, r):
        h = Headers(r.headers)
        for name in ("cf-connecting-ip", "cf-ipcountry"):
            h.delete(name)
        if r.headers.get("spin-client-addr"):
            h.set("cf-connecting-ip", _client_ip(r.headers["spin-client-addr"]))
        if r.headers.get("x-user-location"):
            h.set("cf-ipcountry", r.headers["x-user-location"])
        url = r.headers.get("spin-full-url") or ("http://localhost" + r.uri)
        return cls(url, r.method, h, r.body)

    @property
    def body(self):
        return self._body

    async def bytes(self):
        self.body_used = True
        return self._body

    async def buffer(self):
        return await self.bytes()

    async def text(self):
        return (await self.bytes()).decode("utf-8")

    async def json(self, **kwargs):
        return _json.loads(await self.text(), **kwargs)

    def clone(self):
        return Request(self.url, self.method, Headers(self.headers), self._body)

    def __repr__(self):
        return f"<workers.Request {self.method} {self.url}>"
