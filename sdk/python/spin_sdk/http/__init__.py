"""spin_sdk.http: HTTP requests and responses, and the handler base classes.

An app defines one of
    class IncomingHandler(spin_sdk.http.IncomingHandler)   # spin-sdk 3.x, sync
        def handle_request(self, request: Request) -> Response
    class HttpHandler(spin_sdk.http.Handler)                # spin-sdk 4.0, async
        async def handle_request(self, request: Request) -> Response
at the top level of its module (pyedge also accepts a module-level function
`handle_request(request)`, sync or async). pyedge_entry builds the Request,
calls the handler and sends the Response back to the host.

Inbound requests as the handler sees them:
    method   upper-case verb, e.g. "GET" (an unknown method as sent)
    uri      path and query only, e.g. "/items?id=3"; "/" if empty. The full
             URL is in the header "spin-full-url".
    headers  a plain dict, lower-case names -> str values (a repeated name
             keeps its last value); the handler may change it freely
    body     the whole body as bytes (b"" when empty)

Responses: `status` an int, `headers` a mapping of str names to str values,
`body` bytes or None. A missing content-length header is added. If the
handler raises, the traceback goes to stderr and the client gets a 500 with
an empty body.

Outbound requests: send(Request) -> Response (call it, or await it in
spin-sdk 4.0 style code), send_async, and send_to_origin (forward the
inbound request to the component variable `origin`). They go through the
host's "http.send" call (docs/hostcall.md), under the component's
allowed_outbound_hosts; failures raise HttpError.
"""

import re
from dataclasses import dataclass
from typing import MutableMapping, Optional

import pyedge_hostcall as _hc
from spin_sdk.wit.types import Err

# A URL with a scheme starts with one (RFC 3986 3.1) followed by "://"; a
# "://" further on ("api.example.com/q?next=http://x") is part of the path
# or query of a URL that has no scheme.
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

__all__ = [
    "Request",
    "Response",
    "IncomingHandler",
    "Handler",
    "send",
    "send_async",
    "send_to_origin",
    "strip_forbidden_headers",
    "HttpError",
]


@dataclass
class Request:
    """An HTTP request: inbound (given to handle_request) or outbound."""

    method: str
    uri: str
    headers: MutableMapping[str, str]
    body: Optional[bytes]


@dataclass
class Response:
    """An HTTP response: returned by handle_request, or from an outbound call."""

    status: int
    headers: MutableMapping[str, str]
    body: Optional[bytes]


class IncomingHandler:
    """Base class of spin-sdk 3.x handlers (synchronous).

    Subclass it as a top-level class named `IncomingHandler` in the app
    module and override handle_request. pyedge makes a new instance for
    each request.
    """

    def handle_request(self, request: Request) -> Response:
        raise NotImplementedError(
            f"{type(self).__qualname__} must override handle_request(self, request)"
        )


class Handler:
    """Base class of spin-sdk 4.0 handlers (asynchronous).

    Subclass it as a top-level class named `HttpHandler` in the app module
    and override the coroutine handle_request. pyedge makes a new instance
    for each request and runs the coroutine to completion on an asyncio
    event loop of its own, in the request's thread.
    """

    async def handle_request(self, request: Request) -> Response:
        raise NotImplementedError(
            f"{type(self).__qualname__} must override async handle_request(self, request)"
        )


# ---- outbound requests -----------------------------------------------------------


@dataclass
class ErrorCode_HttpRequestDenied:
    """No allowed_outbound_hosts rule of the component allows the URL."""


@dataclass
class ErrorCode_HttpRequestUriInvalid:
    """The URL (or method, or a header) cannot be sent."""


@dataclass
class ErrorCode_ConnectionTimeout:
    """No response in time (30 s, or what is left of the inbound request's time)."""


@dataclass
class ErrorCode_ConnectionRefused:
    pass


@dataclass
class ErrorCode_TlsCertificateError:
    pass


@dataclass
class ErrorCode_DestinationNotFound:
    """Service chaining to a component the app does not have."""


@dataclass
class ErrorCode_HttpResponseBodySize:
    value: Optional[int]


@dataclass
class ErrorCode_ConnectionLimitReached:
    """Too many outbound requests for one inbound request, or a service
    chain nested too deep."""


@dataclass
class ErrorCode_InternalError:
    value: Optional[str]


class HttpError(Err):
    """Raised by send() when the request could not be made (as spin-sdk
    raises `Err(ErrorCode_...)`): `.value` is the wasi:http error code,
    `.message` and str() say what happened, naming the URL."""

    def __init__(self, value, message):
        super().__init__(value)
        self.message = message

    def __str__(self):
        return self.message


def _error_code(e):
    msg = e.message
    if isinstance(e, _hc.Denied):
        return ErrorCode_HttpRequestDenied()
    if isinstance(e, _hc.Timeout):
        return ErrorCode_ConnectionTimeout()
    if isinstance(e, _hc.NotFound):
        return ErrorCode_DestinationNotFound()
    if isinstance(e, _hc.Limit):
        if "response body" in msg:
            return ErrorCode_HttpResponseBodySize(None)
        return ErrorCode_ConnectionLimitReached()
    if isinstance(e, _hc.Invalid):
        return ErrorCode_HttpRequestUriInvalid()
    if "connect" in msg.lower() and "refused" in msg.lower() or "Couldn't connect" in msg:
        return ErrorCode_ConnectionRefused()
    if "certificate" in msg or "SSL" in msg or "TLS" in msg:
        return ErrorCode_TlsCertificateError()
    return ErrorCode_InternalError(msg)


class _SentResponse(Response):
    """What send() returns: a Response that can also be awaited, so that
    spin-sdk 3.x code (`send(req)`) and 4.0 code (`await send(req)`) both
    work. Awaiting it gives a plain Response. Hashed by identity, so that
    asyncio.gather() and friends accept it."""

    __hash__ = object.__hash__

    def __await__(self):
        return Response(self.status, self.headers, self.body)
        yield  # a generator: `await` runs it and gets the Response


def _as_bytes(v, what):
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"{what} must be str or bytes, not {type(v).__name__}")


def _exchange(method, url, headers, body, timeout_ms=0):
    """One outbound request through the host: (status, [(name, value)], body)
    with names lower-case and values bytes. Raises pyedge_hostcall errors."""
    blobs = [_as_bytes(method, "the method"), _as_bytes(url, "the URL"), _hc.u64(timeout_ms),
             _hc.u64(len(headers))]
    for name, value in headers:
        blobs.append(_as_bytes(name, "a header name"))
        blobs.append(_as_bytes(value, f"header {name!r}"))
    blobs.append(_as_bytes(body if body is not None else b"", "the body"))
    reply = _hc.call("http.send", *blobs)
    if len(reply) < 3:
        raise _hc.Backend("http.send", _hc.BACKEND, "malformed reply from the host")
    status = _hc.from_u64(reply[0])
    n = _hc.from_u64(reply[1])
    if len(reply) != 3 + 2 * n:
        raise _hc.Backend("http.send", _hc.BACKEND, "malformed reply from the host")
    pairs = [(reply[2 + 2 * i].decode("latin-1"), reply[3 + 2 * i]) for i in range(n)]
    return status, pairs, reply[-1]


def send(request: Request) -> Response:
    """Send an outbound request and return the whole response.

    `request.uri` is a full URL ("https://api.example.com/v1?x=1"; no
    scheme means http), or a path ("/api") for a request to this app itself
    (allowed by "http://self"), or "http://<component>.spin.internal/..."
    for service chaining. The host must be allowed by the component's
    allowed_outbound_hosts. Response headers are a dict of lower-case names
    (a repeated header keeps its last value), the body is bytes.

    spin-sdk 3.x calls it synchronously; 4.0 code may `await` it. Failures
    raise HttpError (a spin_sdk.wit.types.Err) naming the URL."""
    uri = request.uri
    if not isinstance(uri, str):
        raise TypeError(f"request.uri must be a str, not {type(uri).__name__}")
    if uri.startswith("//"):
        uri = "http:" + uri
    elif not _HAS_SCHEME.match(uri) and not uri.startswith("/"):
        uri = "http://" + uri
    headers = request.headers or {}
    items = list(headers.items())
    try:
        status, pairs, body = _exchange(request.method, uri, items, request.body)
    except _hc.HostCallError as e:
        raise HttpError(_error_code(e), e.message) from None
    return _SentResponse(status, {k: v.decode("utf-8", "replace") for k, v in pairs}, body)


async def send_async(request: Request) -> Response:
    """send() as a coroutine (spin-sdk 3.x's `send_async`)."""
    return send(request)


def send_to_origin(request: Request) -> Response:
    """Forward `request` to the app's origin server and return its response.

    The origin is the component variable `origin` (for example
    "https://backend.example.com" or "http://10.0.0.5:8080/base"); the URL
    sent is that base joined with the path and query of `request.uri`. The
    method, the headers as they are now (minus hop-by-hop headers and
    `host`) and the body are forwarded. The origin must be allowed by
    allowed_outbound_hosts like any other outbound request."""
    from urllib.parse import urlsplit

    from spin_sdk import variables

    try:
        origin = str(variables.get("origin"))
    except Err as e:
        raise HttpError(ErrorCode_InternalError(str(e.value)),
                        "send_to_origin needs the component variable 'origin' (the origin's "
                        f"base URL) in [component.<id>.variables]: {e.value.value}") from None
    parts = urlsplit(request.uri)
    path = parts.path or "/"
    target = path + ("?" + parts.query if parts.query else "")
    url = origin.rstrip("/") + target
    headers = {k: v for k, v in (request.headers or {}).items()
               if k.lower() not in _FORBIDDEN_HEADERS and k.lower() not in ("te", "trailer")}
    return send(Request(request.method, url, headers, request.body))


_FORBIDDEN_HEADERS = frozenset((
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
))


def strip_forbidden_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Remove the hop-by-hop and host headers an outgoing request must not
    carry (names compared case-insensitively); returns the same mapping."""
    for name in [n for n in headers if n.lower() in _FORBIDDEN_HEADERS]:
        del headers[name]
    return headers
