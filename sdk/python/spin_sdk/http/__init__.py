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
"""

from dataclasses import dataclass
from typing import MutableMapping, Optional

__all__ = [
    "Request",
    "Response",
    "IncomingHandler",
    "Handler",
    "send",
    "send_async",
    "strip_forbidden_headers",
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


_OUTBOUND_UNAVAILABLE = "outbound HTTP is not available yet"


def send(request: Request) -> Response:
    """Send an outbound request (spin-sdk 3.x: synchronous).

    Not available yet in pyedge: always raises NotImplementedError.
    """
    raise NotImplementedError(_OUTBOUND_UNAVAILABLE)


async def send_async(request: Request) -> Response:
    """Send an outbound request (coroutine).

    Not available yet in pyedge: always raises NotImplementedError.
    """
    raise NotImplementedError(_OUTBOUND_UNAVAILABLE)


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
