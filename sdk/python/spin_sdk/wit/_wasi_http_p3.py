"""spin_sdk.wit._wasi_http_p3: the wasi:http 0.3 (rc-2026-03-15) request
and response resources as spin-sdk 4.0 apps use them from its generated
bindings, in Python over pyedge's request and the streams of
componentize_py_async_support.

Inbound: pyedge_entry calls the app's `async handle(request) -> Response`
with a Request over pyedge's buffered request (Request.consume_body reads
its body in pieces), then reads the returned Response's body stream and
sends it as it comes (pyedge_response), while the tasks the handler
spawned go on writing it.

Outbound: client.send(Request) reads the request's body stream to its end,
sends the request through the host ("http.send") and returns a Response
whose body is the one received. Failures raise Err(ErrorCode_...)."""

from typing import Optional

from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import ByteStreamReader
from spin_sdk.wit._http_common import *  # noqa: F401,F403  the value types
from spin_sdk.wit._http_common import (Fields, method_of, outbound, pairs_of,
                                       split_full_url)
from spin_sdk.wit.types import Err, Ok

_DONE = Ok(None)


def _check_trailers(trailers):
    if trailers is not None and not isinstance(trailers, FutureReader):
        raise TypeError("trailers must be a FutureReader (spin_sdk.wit.result_option_..."
                        "_future(...)[1])")


class RequestOptions:
    def __init__(self):
        self._connect = self._first = self._between = None

    def get_connect_timeout(self):
        return self._connect

    def set_connect_timeout(self, duration):
        self._connect = duration

    def get_first_byte_timeout(self):
        return self._first

    def set_first_byte_timeout(self, duration):
        self._first = duration

    def get_between_bytes_timeout(self):
        return self._between

    def set_between_bytes_timeout(self, duration):
        self._between = duration

    def clone(self):
        o = RequestOptions()
        o._connect, o._first, o._between = self._connect, self._first, self._between
        return o

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class _Message:
    """What a request and a response share: headers, a body consumed once,
    and `with`."""

    def get_headers(self) -> Fields:
        return self._headers

    @classmethod
    def consume_body(cls, this, res):
        """(body stream, trailers future); a body is consumed once."""
        if this._consumed:
            raise Err(None)
        this._consumed = True
        body = this._contents if this._contents is not None else ByteStreamReader(b"")
        return body, FutureReader(Ok(None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class Request(_Message):
    """An HTTP request: the inbound one (pyedge_entry makes it), or one
    built with Request.new to send with client.send."""

    def __init__(self):
        self._method = method_of("GET")
        self._path = None
        self._scheme = None
        self._authority = None
        self._headers = Fields()
        self._contents = None
        self._options = None
        self._consumed = False

    @classmethod
    def new(cls, headers, contents, trailers, options):
        _check_trailers(trailers)
        r = cls()
        r._headers = Fields._frozen(headers.entries())
        r._contents = contents
        r._options = options
        return r, FutureReader(_DONE)

    @classmethod
    def _inbound(cls, request):
        r = cls()
        r._method = method_of(request.method)
        r._path = request.uri
        r._scheme, r._authority = split_full_url(request)
        r._headers = Fields._frozen(pairs_of(request))
        r._contents = ByteStreamReader(request.body or b"")
        return r

    def get_method(self):
        return self._method

    def set_method(self, method):
        self._method = method

    def get_path_with_query(self) -> Optional[str]:
        return self._path

    def set_path_with_query(self, path_with_query):
        self._path = path_with_query

    def get_scheme(self):
        return self._scheme

    def set_scheme(self, scheme):
        self._scheme = scheme

    def get_authority(self):
        return self._authority

    def set_authority(self, authority):
        self._authority = authority

    def get_options(self):
        return self._options


class Response(_Message):
    """An HTTP response: what the handler returns, or what client.send got."""

    def __init__(self):
        self._status = 200
        self._headers = Fields()
        self._contents = None
        self._consumed = False

    @classmethod
    def new(cls, headers, contents, trailers):
        _check_trailers(trailers)
        r = cls()
        r._headers = Fields._frozen(headers.entries())
        r._contents = contents
        return r, FutureReader(_DONE)

    def get_status_code(self) -> int:
        return self._status

    def set_status_code(self, status_code: int) -> None:
        if not isinstance(status_code, int) or isinstance(status_code, bool) or \
                not 100 <= status_code <= 999:
            raise Err(None)
        self._status = status_code



async def _read_all(stream):
    if stream is None:
        return b""
    out = bytearray()
    with stream:
        while not stream.writer_dropped:
            out += await stream.read(64 * 1024)
    return bytes(out)


async def send(request: Request) -> Response:
    """wasi:http/client.send: the whole exchange through the host."""
    if not isinstance(request, Request):
        raise TypeError("send() takes a Request")
    body = await _read_all(request._contents)
    status, headers, data = outbound(request._method, request._scheme, request._authority,
                                     request._path, request._headers.entries(), body)
    r = Response()
    r._status = status
    r._headers = Fields._frozen(headers)
    r._contents = ByteStreamReader(data)
    return r
