"""pyedge_entry: the bridge between the pyedge host and a Python HTTP app.

The host calls the guest export pyedge_init("pyedge_entry") once; importing
this module imports the app module named by the environment variable
PYEDGE_APP (default "app") and finds its handler. Then, for each request, the
host calls pyedge_call(<request buffer>), which reaches pyedge_call() below
and returns the response buffer. The buffer formats are in docs/abi.md.

Handlers, looked for in this order in the app module:
  1. class IncomingHandler, a subclass of spin_sdk.http.IncomingHandler
     (spin-sdk 3.x): handle_request(self, request) -> Response
  2. class HttpHandler, a subclass of spin_sdk.http.Handler (spin-sdk 4.0):
     async handle_request(self, request) -> Response
  3. a function handle_request(request) -> Response, sync or async
  4. class Default, a subclass of workers.WorkerEntrypoint (Cloudflare
     Python Workers): async fetch(self, request) -> workers.Response
  5. a function on_fetch(request[, env[, ctx]]) (older Workers form)
A class IncomingHandler (or WasiHttpIncomingHandler020) or HttpHandler that
implements spin_sdk.wit.exports' wasi:http handler itself (handle(request,
response_out), async handle(request)) is taken in place of 1 or 2
(pyedge_wasi_http: its response body may be streamed).
An app may also define pyedge_warm_up, a list of request paths that run
through the handler before the snapshot (_warm_up_app below).

Redis messages ([[trigger.redis]]): the host sets PYEDGE_TRIGGERS to the
kinds of call the component will get ("redis", or "http,redis"; unset:
"http"), and a handler is looked for for each kind:
  1. class InboundRedis, a subclass of spin_sdk.wit.exports.InboundRedis
     (spin-sdk 3.x): handle_message(self, message: bytes) -> None
  2. class RedisHandler, a subclass of spin_sdk.wit.exports.RedisHandler
     (spin-sdk 4.0): async handle_message(self, message: bytes) -> None
  3. class FermyonSpinInboundRedis (spin-sdk 4.0's sync form)
A message buffer ("PEM1", docs/abi.md) is answered with a status-only
response: 200 when handle_message returned, 500 when it raised (the
traceback on stderr, the app's frame first), 400 for a malformed buffer.
A new instance of the class is made for each request. Whenever a handler
returns an awaitable, it is run to completion on a fresh asyncio event loop
in the calling thread.

Errors: a request buffer that does not follow the ABI gets a 400 (one line on
stderr, the handler is not called); a handler that raises, or returns
something that is not a valid response, gets a 500 with an empty body (the
traceback on stderr). pyedge_call itself never raises for either.
"""

import asyncio
import importlib
import inspect
import os
import re
import struct
import sys
import traceback


def _sdk_first():
    """Imports pyedge's spin_sdk and componentize_py_* support modules from
    the SDK directory, ahead of any copy in the app's -p directories or
    bundle (spin-python-sdk's own examples build with `-p ../../src`, its
    source tree): once in sys.modules, every later import, submodules
    included, resolves to pyedge's. The build says so when it sees a copy."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    try:
        import componentize_py_async_support  # noqa: F401
        import componentize_py_types  # noqa: F401
        import spin_sdk  # noqa: F401
    finally:
        sys.path.remove(here)  # the first occurrence: the one inserted above


_sdk_first()

from spin_sdk.http import Handler as _HandlerV4  # noqa: E402
from spin_sdk.http import IncomingHandler as _HandlerV3  # noqa: E402
from spin_sdk.http import Request, Response  # noqa: E402
from spin_sdk.wit import exports as _exports  # noqa: E402
import pyedge_entropy  # noqa: E402
import pyedge_http_hook  # noqa: F401  http.client and urllib over the host, once imported

try:  # in the sandbox: the buffer codecs in C (guest/pyedge_codec.c), same results
    from _pyedge import decode_request as _decode_request_c
    from _pyedge import encode_response as _encode_response_c
except ImportError:  # host Python (tools, `tests/sdk/run.sh --host`): Python only
    _decode_request_c = _encode_response_c = None

__all__ = [
    "REQUEST_MAGIC",
    "RESPONSE_MAGIC",
    "MalformedBuffer",
    "HandlerNotFound",
    "decode_request",
    "encode_request",
    "decode_response",
    "encode_response",
    "normalize_response",
    "respond",
    "run_async",
    "warm_up_request",
    "load_app",
    "MESSAGE_MAGIC",
    "decode_message",
    "encode_message",
    "find_redis_handler",
    "pyedge_call",
]

REQUEST_MAGIC = b"PEQ1"
MESSAGE_MAGIC = b"PEM1"
RESPONSE_MAGIC = b"PES1"
U32_MAX = 0xFFFFFFFF

_U32 = struct.Struct("<I")
_U32_SIZE = _U32.size

# RFC 9110 token characters (methods and field names); characters never
# allowed in a header value (CR, LF, NUL) or a request target (controls,
# space, DEL). Compiled patterns: every request runs these checks on every
# header, and a regular expression scans in C where a loop over the
# characters costs a bytecode round per character.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VALUE_FORBIDDEN_RE = re.compile("[\r\n\x00]")
_URI_FORBIDDEN_RE = re.compile("[\x00-\x20\x7f]")

# Names that are tokens, known without running _TOKEN_RE: the headers pyedge
# adds to every request and the commonest client ones (a set lookup costs a
# tenth of a pattern match). Anything else is matched.
_KNOWN_TOKENS = frozenset((
    "spin-full-url", "spin-path-info", "spin-matched-route", "spin-base-path",
    "spin-raw-component-route", "spin-component-route", "spin-client-addr",
    "spin-path-and-query", "host", "user-agent", "accept", "accept-encoding",
    "accept-language", "content-type", "content-length", "connection", "cookie",
    "authorization", "cache-control", "origin", "referer", "x-forwarded-for",
    "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "x-request-id", "traceparent",
    "if-none-match", "if-modified-since", "location", "set-cookie", "etag",
    "last-modified", "expires", "vary", "access-control-allow-origin",
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
))


class MalformedBuffer(ValueError):
    """A request or response buffer that does not follow docs/abi.md."""


class HandlerNotFound(ImportError):
    """The app module defines no handler pyedge knows how to call."""


# ---- buffers ------------------------------------------------------------------


class _Reader:
    """Bounds-checked reading of a buffer; every failure is MalformedBuffer."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data, what):
        self.data = data
        self.pos = 0
        self.what = what

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n, field):
        if n > self.remaining():
            raise MalformedBuffer(
                f"{self.what} truncated: {field} needs {n} bytes at offset {self.pos}, "
                f"{self.remaining()} left"
            )
        start = self.pos
        self.pos = start + n
        return self.data[start:self.pos]

    def u32(self, field):
        return _U32.unpack(self.take(_U32_SIZE, field))[0]

    def blob(self, field):
        n = self.u32(field + " length")
        return self.take(n, field)

    def text(self, field):
        raw = self.blob(field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedBuffer(f"{self.what}: {field} is not valid UTF-8 ({e.reason} "
                                  f"at byte {e.start})") from None

    def count(self, field, min_item_size):
        """A u32 item count, checked against what is left: every item takes at
        least min_item_size bytes, so a count the buffer cannot hold is
        rejected before anything is allocated for it."""
        n = self.u32(field)
        if n * min_item_size > self.remaining():
            raise MalformedBuffer(
                f"{self.what}: {field} {n} cannot fit in the {self.remaining()} bytes left"
            )
        return n

    def magic(self, expected):
        got = self.take(len(expected), "magic")
        if got != expected:
            raise MalformedBuffer(f"{self.what}: bad magic {bytes(got)!r}, expected {expected!r}")

    def end(self):
        if self.remaining():
            raise MalformedBuffer(
                f"{self.what}: {self.remaining()} unexpected bytes after the body"
            )


def _as_bytes(data):
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"expected a bytes-like buffer, not {type(data).__name__}")


def _is_token(s):
    return _TOKEN_RE.match(s) is not None


def _check_header_value(value, where):
    if _VALUE_FORBIDDEN_RE.search(value) is not None:
        raise MalformedBuffer(f"{where}: header value contains CR, LF or NUL")


def _decode_request_fast(data):
    """decode_request for a well-formed buffer, in one pass with few calls
    (host Python's fast path; the sandbox uses the same logic in C,
    _pyedge.decode_request; the checked _Reader path costs ~4x more).
    Returns None at the first thing it does not like; decode_request then
    decodes again, carefully, to say what is wrong."""
    if data[:4] != REQUEST_MAGIC:
        return None
    end = len(data)
    unpack = _U32.unpack_from
    try:
        fields = []
        pos = 4
        for _ in range(2):  # method, uri
            (n,) = unpack(data, pos)
            pos += 4 + n
            if pos > end:
                return None
            fields.append(data[pos - n:pos].decode("utf-8"))
        method, uri = fields
        if (method not in _KNOWN_TOKENS and _TOKEN_RE.match(method) is None) or \
                _URI_FORBIDDEN_RE.search(uri) is not None:
            return None
        (count,) = unpack(data, pos)
        pos += 4
        if count * 8 > end - pos:
            return None
        headers = {}
        token = _TOKEN_RE.match
        known = _KNOWN_TOKENS
        for _ in range(count):
            (n,) = unpack(data, pos)
            pos += 4 + n
            if pos > end:
                return None
            name = data[pos - n:pos].decode("utf-8")
            (n,) = unpack(data, pos)
            pos += 4 + n
            if pos > end:
                return None
            value = data[pos - n:pos].decode("utf-8")
            if (name not in known and token(name) is None) or \
                    "\r" in value or "\n" in value or "\x00" in value:
                return None
            headers[name.lower()] = value
        (n,) = unpack(data, pos)
        pos += 4 + n
        if pos != end:
            return None
        body = data[pos - n:pos]
    except (struct.error, UnicodeDecodeError):
        return None
    return Request(method, uri or "/", headers, body)


def decode_request(data, keep_pairs=False):
    """Decodes a request buffer (docs/abi.md) into a spin_sdk.http.Request.
    With keep_pairs, the request also has `header_pairs`, every header in
    order with repeated names kept (for the wasi:http bindings, whose
    fields keep them); this takes the slower, checked path.

    Raises MalformedBuffer when the buffer is truncated, has trailing bytes,
    a bad magic, counts or lengths it cannot hold, non-UTF-8 text, an invalid
    method, URI or header name, or a header value with CR, LF or NUL.
    Header names are lower-cased; a repeated name keeps its last value.
    """
    data = _as_bytes(data)
    if keep_pairs:
        pass
    elif _decode_request_c is not None:
        fields = _decode_request_c(data)
        if fields is not None:
            return Request(*fields)
    else:
        request = _decode_request_fast(data)
        if request is not None:
            return request
    r = _Reader(data, "request")
    r.magic(REQUEST_MAGIC)

    method = r.text("method")
    if not _is_token(method):
        raise MalformedBuffer(f"request: invalid method {method!r}")

    uri = r.text("uri")
    if _URI_FORBIDDEN_RE.search(uri) is not None:
        raise MalformedBuffer(f"request: uri {uri!r} contains a control character or space")
    if not uri:
        uri = "/"

    pairs = []
    n = r.count("header count", 2 * _U32_SIZE)
    for i in range(n):
        name = r.text(f"header {i} name")
        if not _is_token(name):
            raise MalformedBuffer(f"request: header {i} has an invalid name {name!r}")
        value = r.text(f"header {i} value")
        _check_header_value(value, f"request: header {name!r}")
        pairs.append((name.lower(), value))

    body = r.blob("body")
    r.end()
    request = Request(method, uri, dict(pairs), body)
    if keep_pairs:
        request.header_pairs = pairs
    return request


def _pairs(headers):
    if headers is None:
        return []
    if hasattr(headers, "items"):
        return list(headers.items())
    return [tuple(p) for p in headers]


def _u32_checked(n, what):
    if n > U32_MAX:
        raise OverflowError(f"{what} ({n}) does not fit in a u32")
    return _U32.pack(n)


def _put_blob(out, b, what):
    out.append(_u32_checked(len(b), what + " length"))
    out.append(b)


def encode_request(method, uri, headers, body=b""):
    """Builds a request buffer (what the host sends) from str method and uri,
    headers as a mapping or (name, value) pairs of str (or bytes, written
    as they are: the host sends lower-case names) and a bytes body. No checks
    beyond the u32 limits: for tests and tools."""
    pairs = _pairs(headers)
    out = [REQUEST_MAGIC]
    for part, what in ((method, "method"), (uri, "uri")):
        _put_blob(out, part.encode("utf-8") if isinstance(part, str) else bytes(part), what)
    out.append(_u32_checked(len(pairs), "header count"))
    for name, value in pairs:
        for part, what in ((name, "header name"), (value, "header value")):
            _put_blob(out, part.encode("utf-8") if isinstance(part, str) else bytes(part), what)
    _put_blob(out, _as_bytes(body or b""), "body")
    return b"".join(out)


def encode_response(status, headers, body):
    """Builds a response buffer from an int status, (name, value) pairs of
    bytes and a bytes body, exactly as given (see normalize_response)."""
    out = [RESPONSE_MAGIC, _u32_checked(status, "status"),
           _u32_checked(len(headers), "header count")]
    pack = _U32.pack  # every response: one call per field, not three
    for name, value in headers:
        if len(name) > U32_MAX or len(value) > U32_MAX:
            _u32_checked(max(len(name), len(value)), "header name or value length")
        out += (pack(len(name)), name, pack(len(value)), value)
    _put_blob(out, body, "body")
    return b"".join(out)


def decode_response(data):
    """Decodes a response buffer into (status, [(name, value)], body) with
    str names and values (what the host reads). For tests and tools."""
    r = _Reader(_as_bytes(data), "response")
    r.magic(RESPONSE_MAGIC)
    status = r.u32("status")
    headers = []
    n = r.count("header count", 2 * _U32_SIZE)
    for i in range(n):
        name = r.text(f"header {i} name")
        if not _is_token(name):
            raise MalformedBuffer(f"response: header {i} has an invalid name {name!r}")
        value = r.text(f"header {i} value")
        _check_header_value(value, f"response: header {name!r}")
        headers.append((name, value))
    body = r.blob("body")
    r.end()
    return status, headers, body


# ---- responses --------------------------------------------------------------------


def _response_value(name, value):
    if isinstance(value, str):
        s = value
    elif isinstance(value, (bytes, bytearray, memoryview)):
        try:
            s = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"response header {name!r}: value is not valid UTF-8") from None
    else:
        s = str(value)
    if "\r" in s or "\n" in s or "\x00" in s:
        raise ValueError(f"response header {name!r}: value contains CR, LF or NUL")
    return s


def normalize_response(response):
    """Checks and normalises what a handler returned, for encode_response.

    response: a spin_sdk.http.Response (or any object with status, headers
    and body attributes).
      status   an int (bool excluded) from 100 to 999
      headers  a mapping (or pairs, or None) of str names, which must be HTTP
               tokens and are lower-cased, to values: str kept, bytes decoded
               as UTF-8, anything else converted with str(); no CR, LF or NUL
      body     bytes-like, None (-> b"") or str (-> UTF-8)
    Adds content-length (the body length) when no header of that name is
    present; a present one must be unique and a decimal number, and is left as
    it is (a HEAD response may announce a length it does not send).
    Returns (status, [(name bytes, value bytes)], body bytes). Raises
    TypeError or ValueError on anything else.
    """
    if response is None:
        raise TypeError("the handler returned None instead of a spin_sdk.http.Response")
    try:
        status = response.status
        headers = response.headers
        body = response.body
    except AttributeError:
        raise TypeError(
            f"the handler returned a {type(response).__name__}, not a spin_sdk.http.Response"
        ) from None

    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"response status must be an int, not {type(status).__name__}")
    if not 100 <= status <= 999:
        raise ValueError(f"response status {status} is not between 100 and 999")

    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body)
    else:
        raise TypeError(f"response body must be bytes or None, not {type(body).__name__}")

    try:
        items = _pairs(headers)
    except (TypeError, ValueError):
        raise TypeError(
            f"response headers must be a mapping of str to str, not {type(headers).__name__}"
        ) from None
    out = []
    has_length = False
    for item in items:
        if len(item) != 2:
            raise TypeError("response headers must be (name, value) pairs")
        name, value = item
        if not isinstance(name, str):
            raise TypeError(f"response header name must be a str, not {type(name).__name__}")
        if name not in _KNOWN_TOKENS and not _is_token(name):
            raise ValueError(f"response header name {name!r} is not a valid HTTP field name")
        name = name.lower()
        value = _response_value(name, value)
        if name == "content-length":
            if has_length:
                raise ValueError("response has more than one content-length header")
            if not value.isascii() or not value.isdigit():
                raise ValueError(f"response content-length {value!r} is not a decimal number")
            has_length = True
        out.append((name.encode("ascii"), value.encode("utf-8")))
    if not has_length:
        out.append((b"content-length", str(len(body)).encode("ascii")))
    return status, out, body


def respond(response):
    """The response buffer for what a handler returned: normalize_response
    then encode_response, done in C for a plain spin_sdk Response whose
    headers are a dict of str (the C code leaves anything else, and every
    error, to the Python functions). Raises as normalize_response does."""
    if _encode_response_c is not None and type(response) is Response:
        data = _encode_response_c(response.status, response.headers, response.body)
        if data is not None:
            return data
    return encode_response(*normalize_response(response))


def _fixed_response(status):
    return encode_response(status, [(b"content-length", b"0")], b"")


RESPONSE_200 = _fixed_response(200)
RESPONSE_400 = _fixed_response(400)
RESPONSE_500 = _fixed_response(500)


# ---- asyncio without I/O: pyedge_loop ---------------------------------------------------

from pyedge_loop import SandboxEventLoop, SandboxEventLoopPolicy, run_async  # noqa: E402,F401


# ---- the app ---------------------------------------------------------------------------


# Kinds of the apps that implement the wasi:http bindings themselves
# (spin_sdk.wit.exports; pyedge_wasi_http calls them).
WASI_HTTP_02 = "wasi-http-0.2"
WASI_HTTP_03 = "wasi-http-0.3"


def pyedge_wasi_http():
    import pyedge_wasi_http as module

    return module


class App:
    """An app module and its handler.

    kind is "IncomingHandler" (spin-sdk 3.x class), "HttpHandler" (4.0 class),
    "handle_request" (module function), "Default" / "on_fetch" (Workers
    style, workers._entry: target takes the Request and returns a coroutine),
    or WASI_HTTP_02 / WASI_HTTP_03 (a class implementing the wasi:http
    handler itself: handle(request, response_out) or async handle(request))."""

    def __init__(self, module, kind, target):
        self.module = module
        self.kind = kind
        self.target = target

    def handle(self, request):
        """Calls the handler and returns what it returned (awaited if
        awaitable). Exceptions propagate."""
        if self.kind in ("handle_request", "Default", "on_fetch"):
            result = self.target(request)
        elif self.kind == WASI_HTTP_02:
            return pyedge_wasi_http().handle_p2(self.target, request)
        elif self.kind == WASI_HTTP_03:
            return run_async(pyedge_wasi_http().handle_p3(self.target, request))
        else:
            result = self.target().handle_request(request)
        if type(result) is not Response and inspect.isawaitable(result):
            result = run_async(result)
        return result


def _class_of(module, name, base, where="spin_sdk.http"):
    """(class or None, note about a near miss or None)."""
    obj = getattr(module, name, None)
    if obj is None:
        return None, None
    base_name = f"{where}.{base.__name__}"
    if not isinstance(obj, type):
        return None, f"{name} is a {type(obj).__name__}, not a class"
    if obj is base:
        return None, f"{name} is {base_name} itself: define a subclass of it named {name}"
    if not issubclass(obj, base):
        return None, f"{name} does not subclass {base_name} (from {base.__module__})"
    return obj, None


def _explain_missing_sdk_name(e):
    """An import of a spin_sdk module or name pyedge does not provide
    (`from spin_sdk import otel`, `import spin_sdk.wit.imports.foo`) is
    raised again saying so, with what pyedge's spin_sdk has; other import
    errors are left alone."""
    import pkgutil

    import spin_sdk

    missing = getattr(e, "name", None) or ""
    if isinstance(e, ModuleNotFoundError):
        if missing != "spin_sdk" and not missing.startswith("spin_sdk."):
            return
        what = f"the module {missing}"
    else:
        m = re.match(r"cannot import name '([^']+)' from '(spin_sdk[\w.]*)'", str(e))
        if not m:
            return
        what = f"{m.group(2)}.{m.group(1)}"
    have = sorted(n for _, n, _ in pkgutil.iter_modules(spin_sdk.__path__)
                  if not n.startswith("_"))
    raise ImportError(
        f"pyedge: the app imports {what}, which pyedge's spin_sdk does not provide "
        f"(it has spin_sdk.{', spin_sdk.'.join(have)})",
        name=missing or None,
    ) from e


def _overrides_handle(cls):
    """The class defines the wasi:http handle() (pyedge's bases do not)."""
    return callable(getattr(cls, "handle", None))


def _wasi_http_class(module, names, base_name):
    """The app's class implementing spin_sdk.wit.exports.<base_name>
    (looked up only when the app imported that module), or None."""
    exports = sys.modules.get("spin_sdk.wit.exports")
    if exports is None:
        return None
    base = getattr(exports, base_name)
    for name in names:
        obj = getattr(module, name, None)
        if isinstance(obj, type) and obj is not base and issubclass(obj, base):
            return obj
    return None


def _import_app(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and (name == e.name or name.startswith(e.name + ".")):
            raise ImportError(
                f"pyedge: cannot import the app module {name!r} (PYEDGE_APP): no module "
                f"named {e.name!r} on sys.path {sys.path}",
                name=name,
            ) from e
        _explain_missing_sdk_name(e)
        raise
    except ImportError as e:
        _explain_missing_sdk_name(e)
        raise
    return module


def load_app(name):
    """Imports the app module `name` and finds its handler (the order is in
    this module's docstring). Raises HandlerNotFound naming what was looked
    for when there is none, ImportError when the module itself is missing,
    and whatever the app's own import raises."""
    return _find_http_handler(_import_app(name), name)


def _find_http_handler(module, name):
    notes = []
    cls, note = _class_of(module, "IncomingHandler", _HandlerV3)
    if cls is not None:
        # spin-sdk's handler classes implement the wasi:http handle() by
        # calling handle_request; a subclass that overrides handle() itself
        # is answered through it, as spin-sdk's runtime would
        return App(module, WASI_HTTP_02 if _overrides_handle(cls) else "IncomingHandler", cls)
    raw = _wasi_http_class(module, ("IncomingHandler", "WasiHttpIncomingHandler020"),
                           "IncomingHandler")
    if raw is not None:
        return App(module, WASI_HTTP_02, raw)
    notes += [note] if note else []
    cls, note = _class_of(module, "HttpHandler", _HandlerV4)
    if cls is not None:
        return App(module, WASI_HTTP_03 if _overrides_handle(cls) else "HttpHandler", cls)
    raw = _wasi_http_class(module, ("HttpHandler",), "HttpHandler")
    if raw is not None:
        return App(module, WASI_HTTP_03, raw)
    notes += [note] if note else []
    func = getattr(module, "handle_request", None)
    if callable(func) and not isinstance(func, type):
        return App(module, "handle_request", func)
    if func is not None:
        notes.append(f"handle_request is a {type(func).__name__}, not a function")
    if getattr(module, "Default", None) is not None or getattr(module, "on_fetch", None) is not None:
        from workers._entry import find_handler as _find_workers_handler

        kind, target = _find_workers_handler(module)
        if kind is not None:
            return App(module, kind, target)
        notes += [target] if target else []

    where = getattr(module, "__file__", None) or "?"
    msg = (
        f"pyedge: the app module {name!r} ({where}) has no HTTP handler. Looked for, in "
        "order: a class IncomingHandler subclassing spin_sdk.http.IncomingHandler "
        "or spin_sdk.wit.exports.IncomingHandler (spin-sdk 3.x), a class HttpHandler "
        "subclassing spin_sdk.http.Handler or spin_sdk.wit.exports.HttpHandler "
        "(spin-sdk 4.0), a function handle_request(request), a class Default "
        "subclassing workers.WorkerEntrypoint, a function on_fetch(request, env)."
    )
    if notes:
        msg += " Found instead: " + "; ".join(notes) + "."
    raise HandlerNotFound(msg, name=name)


REDIS_KINDS = ("InboundRedis", "RedisHandler", "FermyonSpinInboundRedis")


def find_redis_handler(module, name):
    """The App for the module's Redis handler class (order in this
    module's docstring); HandlerNotFound when it has none."""
    notes = []
    for kind in REDIS_KINDS:
        cls, note = _class_of(module, kind, getattr(_exports, kind), "spin_sdk.wit.exports")
        if cls is not None:
            return App(module, kind, cls)
        notes += [note] if note else []
    where = getattr(module, "__file__", None) or "?"
    msg = (
        f"pyedge: the app module {name!r} ({where}) has no Redis handler, which "
        "[[trigger.redis]] needs. Looked for, in order: a class InboundRedis subclassing "
        "spin_sdk.wit.exports.InboundRedis (spin-sdk 3.x), a class RedisHandler subclassing "
        "spin_sdk.wit.exports.RedisHandler (spin-sdk 4.0), a class FermyonSpinInboundRedis "
        "subclassing spin_sdk.wit.exports.FermyonSpinInboundRedis."
    )
    if notes:
        msg += " Found instead: " + "; ".join(notes) + "."
    raise HandlerNotFound(msg, name=name)


def decode_message(data):
    """A message buffer (docs/abi.md: "PEM1", channel blob, payload blob)
    as (channel str, payload bytes); MalformedBuffer otherwise."""
    r = _Reader(_as_bytes(data), "message")
    r.magic(MESSAGE_MAGIC)
    channel = r.text("channel")
    payload = r.blob("payload")
    r.end()
    return channel, payload


def encode_message(channel, payload):
    """The message buffer the host sends (for tests and tools)."""
    out = [MESSAGE_MAGIC]
    _put_blob(out, channel.encode("utf-8"), "channel")
    _put_blob(out, _as_bytes(payload), "payload")
    return b"".join(out)


# The App serving the current call when it is not `app` (a Redis message in
# a component that also serves HTTP): spin_sdk._mode reads it.
current = None


def call_message(rapp, data):
    """One Redis message: buffer in, status-only response out (200 handled,
    500 the handler raised, 400 malformed); never raises (except
    KeyboardInterrupt)."""
    global current
    try:
        channel, payload = decode_message(data)
    except MalformedBuffer as e:
        print(f"pyedge: 400: malformed message buffer: {e}", file=sys.stderr)
        return RESPONSE_400
    current = rapp
    try:
        result = rapp.target().handle_message(payload)
        if inspect.isawaitable(result):
            run_async(result)
        return RESPONSE_200
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        print(f"pyedge: redis message on {channel!r}: the handler failed: {_where(e)}",
              file=sys.stderr)
        traceback.print_exc()
        return RESPONSE_500
    finally:
        current = None


def call(app, data):
    """One request: buffer in, buffer out; never raises (except
    KeyboardInterrupt)."""
    try:
        request = decode_request(data, app.kind in (WASI_HTTP_02, WASI_HTTP_03))
    except MalformedBuffer as e:
        print(f"pyedge: 400: malformed request buffer: {e}", file=sys.stderr)
        return RESPONSE_400
    except KeyboardInterrupt:
        raise
    except BaseException:
        print("pyedge: 500: cannot decode the request buffer:", file=sys.stderr)
        traceback.print_exc()
        return RESPONSE_500
    method, uri = request.method, request.uri  # before the handler can change them
    try:
        return respond(app.handle(request))
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        print(f"pyedge: 500: {method} {uri}: the handler failed: {_where(e)}", file=sys.stderr)
        traceback.print_exc()
        return RESPONSE_500


# Frames below these are pyedge's or the standard library's, not the app's.
_NOT_APP = (os.path.dirname(os.path.abspath(__file__)) + "/", "/usr/local/lib/", "<frozen ")


def _where(e):
    """The exception and the innermost frame of the app's own code, the
    first thing to read in the traceback that follows: "ValueError: bad
    (at /app/app.py:12, in handle_request)"."""
    what = traceback.format_exception_only(type(e), e)[-1].strip()
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if not f.filename.startswith(_NOT_APP)]
    if not frames:
        return what
    f = frames[-1]
    return f"{what} (at {f.filename}:{f.lineno}, in {f.name})"


# ---- start-up -----------------------------------------------------------------------------

if sys.platform == "wasi":
    # The default loops need a socketpair; let the app's own asyncio.run() work.
    asyncio.set_event_loop_policy(SandboxEventLoopPolicy())

APP_NAME = os.environ.get("PYEDGE_APP") or "app"
TRIGGERS = frozenset((os.environ.get("PYEDGE_TRIGGERS") or "http").split(","))
pyedge_entropy.watch_start_up()
if "redis" in TRIGGERS:
    _module = _import_app(APP_NAME)
    redis_app = find_redis_handler(_module, APP_NAME)
    app = _find_http_handler(_module, APP_NAME) if "http" in TRIGGERS else redis_app
    del _module
else:
    redis_app = None
    app = load_app(APP_NAME)


def _freeze_start_up_objects():
    """Every object alive now is in the snapshot that each request's sandbox
    starts from. Making them immortal and moving them out of the collector's
    reach means a request no longer writes to them when it merely uses them
    (reference counts) or collects garbage (collector bookkeeping), so it
    copies far fewer pages. PYEDGE_NO_FREEZE=1 turns this off (to measure)."""
    if sys.platform != "wasi" or os.environ.get("PYEDGE_NO_FREEZE"):
        return
    try:
        import _pyedge
    except ImportError:
        return
    _pyedge.freeze()


WARM_UP_ROUNDS = 48
WARM_UP_ATTRIBUTE = "pyedge_warm_up"


def warm_up_request(path):
    """The request buffer a warm-up sends for path: a GET with the headers
    pyedge adds for a component routed at "/..." and a client on localhost."""
    route_path, _, _ = path.partition("?")
    headers = [
        ("host", "localhost"),
        ("spin-full-url", "http://localhost" + path),
        ("spin-path-and-query", path),
        ("spin-path-info", route_path),
        ("spin-matched-route", "/..."),
        ("spin-raw-component-route", "/..."),
        ("spin-component-route", ""),
        ("spin-base-path", "/"),
        ("spin-client-addr", "127.0.0.1:0"),
    ]
    return encode_request("GET", path, headers, b"")


def _warm_up_sdk(app):
    """Runs pyedge's own request path (decode, Request, Response,
    normalise, encode) a few dozen times on a stand-in handler before the
    snapshot. CPython specialises bytecode as it runs it, writing into the
    code objects; done here, every request starts from specialised code
    instead of redoing that work and copying those pages. The app's handler
    is not called here (only _warm_up_app calls it, when the app asks).
    PYEDGE_NO_WARMUP=1 turns this off (to measure)."""
    if sys.platform != "wasi" or os.environ.get("PYEDGE_NO_WARMUP"):
        return
    body = b'{"warm": true}'

    def plain(request):
        return Response(200, {"content-type": "application/json"}, body)

    async def coroutine(request):
        return Response(200, {"content-type": "application/json"}, body)

    target = app.target if app.kind == "handle_request" else getattr(app.target, "handle_request", None)
    stand_in = App(None, "handle_request", coroutine if inspect.iscoroutinefunction(target) else plain)
    data = warm_up_request("/pyedge-warm-up?x=1")
    for _ in range(WARM_UP_ROUNDS):
        call(stand_in, data)


def _warm_up_paths(module):
    paths = getattr(module, WARM_UP_ATTRIBUTE, None)
    if paths is None:
        return []
    where = f"{module.__name__}.{WARM_UP_ATTRIBUTE}"
    if not isinstance(paths, (list, tuple)):
        raise TypeError(f"{where} must be a list of request paths such as [\"/\"], "
                        f"not {type(paths).__name__}")
    for p in paths:
        if not isinstance(p, str) or not p.startswith("/") or \
                _URI_FORBIDDEN_RE.search(p) is not None:
            raise ValueError(f"{where}: {p!r} is not a request path (a str that starts "
                             "with '/', without spaces or control characters)")
    return list(paths)


def _warm_up_app(app):
    """The app's own warm-up, when it asks for one with a module attribute
    pyedge_warm_up = ["/", "/items?id=1"]: each path goes as a GET through
    the whole request path (decode, the handler, encode) WARM_UP_ROUNDS
    times before the snapshot. Then the handler's bytecode, and the library
    code it runs (json, ...), start every request specialised instead of
    being specialised again, and their pages copied, in each request.
    Opt-in, because the handler runs during start-up: whatever it changes
    (globals, caches) is part of the snapshot, exactly like the module's
    top-level code, and host services (key-value, outbound HTTP, ...) are
    not available yet. A warm-up request answered with a 5xx stops start-up
    (RuntimeError; the handler's traceback is on stderr before it)."""
    for path in _warm_up_paths(app.module):
        data = warm_up_request(path)
        for _ in range(WARM_UP_ROUNDS):
            status = _U32.unpack_from(call(app, data), 4)[0]
            if status >= 500:
                raise RuntimeError(
                    f"pyedge: {app.module.__name__}.{WARM_UP_ATTRIBUTE}: the warm-up request "
                    f"GET {path} was answered {status}; warm-up runs at start-up, before any "
                    "request and without host services")


if app is not redis_app:
    _warm_up_sdk(app)
    _warm_up_app(app)
_fresh_entropy = pyedge_entropy.end_of_start_up()
_freeze_start_up_objects()


def pyedge_call(data):
    """Called by the guest export pyedge_call with the request buffer;
    returns the response buffer (docs/abi.md). What start-up seeded from
    entropy is seeded again first (pyedge_entropy)."""
    if _fresh_entropy is not None:
        _fresh_entropy()
    return call(app, data)


if redis_app is not None:  # HTTP-only components keep the function above

    def pyedge_call(data):  # noqa: F811
        """As above, for a component that gets Redis messages: a "PEM1"
        buffer is a message, anything else a request (when it serves HTTP)."""
        if _fresh_entropy is not None:
            _fresh_entropy()
        if data[:4] == MESSAGE_MAGIC:
            return call_message(redis_app, data)
        if app is redis_app:
            print("pyedge: 400: this component serves only Redis messages", file=sys.stderr)
            return RESPONSE_400
        return call(app, data)
