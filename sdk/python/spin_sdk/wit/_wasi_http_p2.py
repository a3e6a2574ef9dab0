"""spin_sdk.wit._wasi_http_p2: the wasi:http 0.2 resources (with wasi:io
streams and pollables) as spin-sdk 3.x apps use them from its generated
bindings, implemented in Python over pyedge's buffered request and its
response (pyedge_response: written pieces reach the client on each flush).

Inbound: pyedge_entry makes an IncomingRequest and a ResponseOutparam and
calls the app's `handle(request, response_out)`. The request body is the
one the host already holds, read in pieces through IncomingBody.stream().
The response is the OutgoingResponse given to ResponseOutparam.set; its
body goes to the client through OutgoingBody.write(): each flush
(`flush`, `blocking_flush`, `blocking_write_and_flush`) sends what was
written (the head with the first), and OutgoingBody.finish ends it. A body
finished with no flush before is sent whole, with a content-length.

Outbound: outgoing_handler.handle(OutgoingRequest) sends the request once
its body (if one was taken) is finished; FutureIncomingResponse.get()
answers then. Nothing here waits on I/O: a pollable is ready when what it
stands for is, and poll() refuses a set of which none can become ready
(it would wait forever)."""

from dataclasses import dataclass
from typing import Optional, Union

from spin_sdk.wit._http_common import *  # noqa: F401,F403  the value types
from spin_sdk.wit._http_common import (ErrorCode_InternalError, Fields, method_of, outbound,
                                       pairs_of, split_full_url)
from spin_sdk.wit.types import Err, Ok

# ---- wasi:io/error, wasi:io/poll ----------------------------------------------------


class Error:
    """wasi:io error resource."""

    def __init__(self, message):
        self._message = message

    def to_debug_string(self):
        return self._message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class Pollable:
    """Ready when its condition holds (everything here is in memory)."""

    def __init__(self, ready=lambda: True):
        self._ready = ready

    def ready(self):
        return bool(self._ready())

    def block(self):
        if not self.ready():
            raise RuntimeError("pyedge: this pollable can never become ready (nothing runs "
                               "while a handler blocks)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def poll(in_):
    """Indices of the ready pollables; at least one must be."""
    if not in_:
        raise ValueError("poll() needs at least one pollable")
    ready = [i for i, p in enumerate(in_) if p.ready()]
    if not ready:
        raise RuntimeError("pyedge: poll() on pollables none of which can become ready")
    return ready


# ---- wasi:io/streams --------------------------------------------------------------


@dataclass
class StreamError_LastOperationFailed:
    value: Error


@dataclass
class StreamError_Closed:
    pass


StreamError = Union[StreamError_LastOperationFailed, StreamError_Closed]


class InputStream:
    """Reads bytes already held (a request or response body)."""

    def __init__(self, data):
        self._data = memoryview(bytes(data))
        self._pos = 0
        self._closed = False

    def read(self, len: int) -> bytes:  # noqa: A002  the binding's name
        if self._closed or self._pos >= self._data.nbytes:
            raise Err(StreamError_Closed())
        chunk = bytes(self._data[self._pos:self._pos + len])
        self._pos += chunk.__len__()
        return chunk

    blocking_read = read

    def skip(self, len: int) -> int:  # noqa: A002
        return self.read(len).__len__()

    blocking_skip = skip

    def subscribe(self) -> Pollable:
        return Pollable()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._closed = True
        return None


class OutputStream:
    """Writes into a body: `sink(data)` on each write, `flush()` on flush."""

    CAPACITY = 1024 * 1024

    def __init__(self, sink, flush=None):
        self._sink = sink
        self._flush = flush
        self._closed = False

    def _check(self):
        if self._closed:
            raise Err(StreamError_Closed())

    def check_write(self) -> int:
        self._check()
        return self.CAPACITY

    def write(self, contents: bytes) -> None:
        self._check()
        try:
            self._sink(bytes(contents))
        except ConnectionError as e:
            raise Err(StreamError_LastOperationFailed(Error(str(e)))) from None

    def flush(self) -> None:
        self._check()
        if self._flush is not None:
            try:
                self._flush()
            except ConnectionError as e:
                raise Err(StreamError_LastOperationFailed(Error(str(e)))) from None

    blocking_flush = flush

    def blocking_write_and_flush(self, contents: bytes) -> None:
        self.write(contents)
        self.flush()

    def write_zeroes(self, len: int) -> None:  # noqa: A002
        self.write(bytes(len))

    def blocking_write_zeroes_and_flush(self, len: int) -> None:  # noqa: A002
        self.blocking_write_and_flush(bytes(len))

    def splice(self, src: InputStream, len: int) -> int:  # noqa: A002
        data = src.read(len)
        self.write(data)
        return data.__len__()

    blocking_splice = splice

    def subscribe(self) -> Pollable:
        return Pollable()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._closed = True
        return None


# ---- wasi:http/types --------------------------------------------------------------


class FutureTrailers:
    def subscribe(self) -> Pollable:
        return Pollable()

    def get(self):
        return Ok(Ok(None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class IncomingBody:
    """A body already received; stream() reads it in pieces."""

    def __init__(self, data):
        self._data = data
        self._stream_taken = False

    def stream(self) -> InputStream:
        if self._stream_taken:
            raise Err(None)
        self._stream_taken = True
        return InputStream(self._data)

    @classmethod
    def finish(cls, this) -> FutureTrailers:
        return FutureTrailers()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class IncomingRequest:
    """The inbound request (from pyedge's spin_sdk Request)."""

    def __init__(self, request):
        self._request = request
        self._consumed = False

    def method(self):
        return method_of(self._request.method)

    def path_with_query(self) -> Optional[str]:
        return self._request.uri

    def scheme(self):
        return split_full_url(self._request)[0]

    def authority(self) -> Optional[str]:
        return split_full_url(self._request)[1]

    def headers(self) -> Fields:
        return Fields._frozen(pairs_of(self._request))

    def consume(self) -> IncomingBody:
        if self._consumed:
            raise Err(None)
        self._consumed = True
        return IncomingBody(self._request.body or b"")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class OutgoingBody:
    """A body being written: an inbound request's response, or an outbound
    request's. finish() ends it (trailers are not sent over HTTP/1.1 by
    pyedge and are ignored)."""

    def __init__(self, on_write=None, on_flush=None, on_finish=None):
        self._chunks = []
        self._on_write = on_write
        self._on_flush = on_flush
        self._on_finish = on_finish
        self._stream_taken = False
        self.finished = False

    def _write(self, data):
        if self.finished:
            raise Err(StreamError_Closed())
        if self._on_write is not None:
            self._on_write(data)
        else:
            self._chunks.append(data)

    def write(self) -> OutputStream:
        if self._stream_taken:
            raise Err(None)
        self._stream_taken = True
        return OutputStream(self._write, self._on_flush)

    def data(self):
        return b"".join(self._chunks)

    @classmethod
    def finish(cls, this, trailers: Optional[Fields]) -> None:
        if this.finished:
            raise Err(ErrorCode_InternalError("the body is already finished"))
        this.finished = True
        if this._on_finish is not None:
            this._on_finish()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class OutgoingResponse:
    def __init__(self, headers: Fields):
        self._headers = headers
        self._status = 200
        self._body = None

    def status_code(self) -> int:
        return self._status

    def set_status_code(self, status_code: int) -> None:
        if not isinstance(status_code, int) or isinstance(status_code, bool) or \
                not 100 <= status_code <= 999:
            raise Err(None)
        self._status = status_code

    def headers(self) -> Fields:
        return self._headers

    def body(self) -> OutgoingBody:
        if self._body is not None:
            raise Err(None)
        self._body = OutgoingBody()
        return self._body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class ResponseOutparam:
    """Where the handler puts its response (pyedge_entry reads it back)."""

    def __init__(self):
        self.result = None
        self.on_set = None

    @classmethod
    def set(cls, param, response) -> None:
        if param.result is not None:
            raise RuntimeError("ResponseOutparam.set called twice")
        if not isinstance(response, (Ok, Err)):
            raise TypeError("ResponseOutparam.set takes Ok(OutgoingResponse) or Err(ErrorCode)")
        param.result = response
        if param.on_set is not None:
            param.on_set(response)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class RequestOptions:
    def __init__(self):
        self._connect = self._first = self._between = None

    def connect_timeout(self):
        return self._connect

    def set_connect_timeout(self, duration):
        self._connect = duration

    def first_byte_timeout(self):
        return self._first

    def set_first_byte_timeout(self, duration):
        self._first = duration

    def between_bytes_timeout(self):
        return self._between

    def set_between_bytes_timeout(self, duration):
        self._between = duration

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class OutgoingRequest:
    def __init__(self, headers: Fields):
        self._headers = headers
        self._method = method_of("GET")
        self._path = None
        self._scheme = None
        self._authority = None
        self._body = None

    def body(self) -> OutgoingBody:
        if self._body is not None:
            raise Err(None)
        self._body = OutgoingBody()
        return self._body

    def method(self):
        return self._method

    def set_method(self, method) -> None:
        self._method = method

    def path_with_query(self):
        return self._path

    def set_path_with_query(self, path_with_query) -> None:
        self._path = path_with_query

    def scheme(self):
        return self._scheme

    def set_scheme(self, scheme) -> None:
        self._scheme = scheme

    def authority(self):
        return self._authority

    def set_authority(self, authority) -> None:
        self._authority = authority

    def headers(self) -> Fields:
        return self._headers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class IncomingResponse:
    def __init__(self, status, headers, body):
        self._status = status
        self._headers = headers
        self._body = body
        self._consumed = False

    def status(self) -> int:
        return self._status

    def headers(self) -> Fields:
        return Fields._frozen(self._headers)

    def consume(self) -> IncomingBody:
        if self._consumed:
            raise Err(None)
        self._consumed = True
        return IncomingBody(self._body)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class FutureIncomingResponse:
    """The answer to outgoing_handler.handle: sent when get() is first
    called with the request's body finished (or never taken)."""

    def __init__(self, request):
        self._request = request
        self._result = None

    def _sendable(self):
        body = self._request._body
        return body is None or body.finished

    def subscribe(self) -> Pollable:
        return Pollable(lambda: self._result is not None or self._sendable())

    def get(self):
        if self._result is not None:
            return self._result
        if not self._sendable():
            return None
        r = self._request
        body = r._body.data() if r._body is not None else b""
        try:
            status, headers, data = outbound(r._method, r._scheme, r._authority, r._path,
                                             r._headers.entries(), body)
            self._result = Ok(Ok(IncomingResponse(status, headers, data)))
        except Err as e:
            self._result = Ok(Err(e.value))
        return self._result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def http_error_code(err) -> Optional[object]:
    return ErrorCode_InternalError(err.to_debug_string() if isinstance(err, Error) else None)


def handle(request: OutgoingRequest, options: Optional[RequestOptions]) -> FutureIncomingResponse:
    """wasi:http/outgoing-handler.handle."""
    if not isinstance(request, OutgoingRequest):
        raise TypeError("handle() takes an OutgoingRequest")
    return FutureIncomingResponse(request)


# spin-sdk 2.x spelled the variants without the underscore.
MethodGet, MethodHead, MethodPost, MethodPut, MethodDelete = (
    Method_Get, Method_Head, Method_Post, Method_Put, Method_Delete)  # noqa: F405
MethodConnect, MethodOptions, MethodTrace, MethodPatch, MethodOther = (
    Method_Connect, Method_Options, Method_Trace, Method_Patch, Method_Other)  # noqa: F405
SchemeHttp, SchemeHttps, SchemeOther = Scheme_Http, Scheme_Https, Scheme_Other  # noqa: F405
StreamErrorClosed = StreamError_Closed
StreamErrorLastOperationFailed = StreamError_LastOperationFailed
