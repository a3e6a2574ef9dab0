"""workers.Response: what a Python Workers handler returns.

    Response("hello")                                  200, text/plain
    Response(b"\x00", status=201, headers={"x-a": "1"})
    Response.json({"ok": True}, status=200)            application/json
    Response.redirect("https://example.com/", 301)

body is str (sent as UTF-8, content-type text/plain;charset=UTF-8 unless
given), bytes, None, or, as a pyedge convenience, a dict or list (sent as
JSON). headers: a dict, (name, value) pairs or a workers.Headers. status is
200 by default and must be 100..599. status_text is kept but the host
writes its own reason phrase. The host reads .status, .headers and .body
(docs/abi.md), so the handler's Response goes out as it is.
"""

import json as _json

from ._headers import Headers

__all__ = ["Response"]

_REDIRECTS = (301, 302, 303, 307, 308)


class _ClassOrInstance:
    """One name, two methods: on the class, the classmethod; on an instance,
    the instance method (JS Response.json() vs response.json())."""

    def __init__(self, on_class, on_instance):
        self.on_class = on_class
        self.on_instance = on_instance

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.on_class.__get__(owner, owner)
        return self.on_instance.__get__(obj, owner)


class Response:
    def __init__(self, body=None, status=None, status_text="", headers=None, web_socket=None):
        if web_socket is not None:
            raise NotImplementedError("WebSocket responses are not supported by pyedge")
        status = 200 if status is None else status
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"Response status must be an int from 100 to 599, not {status!r}")
        self.status = status
        self.status_text = status_text
        self.headers = Headers(headers)
        if body is None:
            self._body = b""
        elif isinstance(body, str):
            self._body = body.encode("utf-8")
            if "content-type" not in self.headers:
                self.headers.set("content-type", "text/plain;charset=UTF-8")
        elif isinstance(body, (bytes, bytearray, memoryview)):
            self._body = bytes(body)
        elif isinstance(body, (dict, list)):
            self._body = _json.dumps(body).encode("utf-8")
            if "content-type" not in self.headers:
                self.headers.set("content-type", "application/json")
        else:
            raise TypeError(f"Response body must be str, bytes, dict, list or None, not "
                            f"{type(body).__name__}")

    @classmethod
    def from_json(cls, data, status=200, status_text="", headers=None):
        """A JSON response (content-type application/json unless given)."""
        h = Headers(headers)
        if "content-type" not in h:
            h.set("content-type", "application/json")
        return cls(_json.dumps(data), status=status, status_text=status_text, headers=h)

    async def _read_json(self, **kwargs):
        return _json.loads(self._body, **kwargs)

    # Response.json(data, ...) makes a response; response.json() reads one
    json = _ClassOrInstance(from_json, _read_json)

    @classmethod
    def redirect(cls, url, status=302):
        if status not in _REDIRECTS:
            raise ValueError(f"redirect status must be one of {_REDIRECTS}, not {status!r}")
        return cls(None, status=status, headers={"location": str(url)})

    @property
    def body(self):
        return self._body

    @property
    def ok(self):
        return 200 <= self.status <= 299

    async def bytes(self):
        return self._body

    async def text(self):
        return self._body.decode("utf-8")

    def replace_body(self, body):
        return Response(body, status=self.status, status_text=self.status_text,
                        headers=Headers(self.headers))

    def __repr__(self):
        return f"<workers.Response {self.status} {len(self._body)} bytes>"
