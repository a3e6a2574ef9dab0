"""spin_sdk.wit._http_common: what the wasi:http 0.2 and 0.3 bindings
share in pyedge (the value types, Fields, the error codes and the outbound
call), implemented in Python over pyedge's request and response and the
host's "http.send" (spin_sdk.http). Apps import these names from the
generated-module paths (spin_sdk.wit.imports.types, wasi_http_types_0_2_0,
wasi_http_types_0_3_0_rc_2026_03_15, ...), which re-export them.

The ErrorCode_* classes spin_sdk.http raises are the very same classes,
so `except Err as e: isinstance(e.value, ErrorCode_ConnectionRefused)`
works whichever module the app took them from."""

import re
from dataclasses import dataclass, make_dataclass
from typing import List, Optional, Tuple, Union

from spin_sdk import http as _http
from spin_sdk.wit.types import Err

# ---- methods and schemes ----------------------------------------------------------


@dataclass
class Method_Get:
    pass


@dataclass
class Method_Head:
    pass


@dataclass
class Method_Post:
    pass


@dataclass
class Method_Put:
    pass


@dataclass
class Method_Delete:
    pass


@dataclass
class Method_Connect:
    pass


@dataclass
class Method_Options:
    pass


@dataclass
class Method_Trace:
    pass


@dataclass
class Method_Patch:
    pass


@dataclass
class Method_Other:
    value: str


Method = Union[Method_Get, Method_Head, Method_Post, Method_Put, Method_Delete, Method_Connect,
               Method_Options, Method_Trace, Method_Patch, Method_Other]

_METHODS = {"GET": Method_Get, "HEAD": Method_Head, "POST": Method_Post, "PUT": Method_Put,
            "DELETE": Method_Delete, "CONNECT": Method_Connect, "OPTIONS": Method_Options,
            "TRACE": Method_Trace, "PATCH": Method_Patch}
_METHOD_NAMES = {cls: name for name, cls in _METHODS.items()}


def method_of(name):
    cls = _METHODS.get(name)
    return cls() if cls is not None else Method_Other(name)


def method_name(method):
    if isinstance(method, Method_Other):
        return method.value
    name = _METHOD_NAMES.get(type(method))
    if name is None:
        raise TypeError(f"not a wasi:http method: {method!r}")
    return name


@dataclass
class Scheme_Http:
    pass


@dataclass
class Scheme_Https:
    pass


@dataclass
class Scheme_Other:
    value: str


Scheme = Union[Scheme_Http, Scheme_Https, Scheme_Other]


def scheme_name(scheme):
    if scheme is None or isinstance(scheme, Scheme_Http):
        return "http"
    if isinstance(scheme, Scheme_Https):
        return "https"
    return scheme.value


# ---- error codes ---------------------------------------------------------------------


@dataclass
class DnsErrorPayload:
    rcode: Optional[str]
    info_code: Optional[int]


@dataclass
class TlsAlertReceivedPayload:
    alert_id: Optional[int]
    alert_message: Optional[str]


@dataclass
class FieldSizePayload:
    field_name: Optional[str]
    field_size: Optional[int]


# (name, has a value) in wasi:http's order; the ones spin_sdk.http already
# defines are taken from it.
_CODES = [
    ("DnsTimeout", False), ("DnsError", True), ("DestinationNotFound", False),
    ("DestinationUnavailable", False), ("DestinationIpProhibited", False),
    ("DestinationIpUnroutable", False), ("ConnectionRefused", False),
    ("ConnectionTerminated", False), ("ConnectionTimeout", False),
    ("ConnectionReadTimeout", False), ("ConnectionWriteTimeout", False),
    ("ConnectionLimitReached", False), ("TlsProtocolError", False),
    ("TlsCertificateError", False), ("TlsAlertReceived", True), ("HttpRequestDenied", False),
    ("HttpRequestLengthRequired", False), ("HttpRequestBodySize", True),
    ("HttpRequestMethodInvalid", False), ("HttpRequestUriInvalid", False),
    ("HttpRequestUriTooLong", False), ("HttpRequestHeaderSectionSize", True),
    ("HttpRequestHeaderSize", True), ("HttpRequestTrailerSectionSize", True),
    ("HttpRequestTrailerSize", True), ("HttpResponseIncomplete", False),
    ("HttpResponseHeaderSectionSize", True), ("HttpResponseHeaderSize", True),
    ("HttpResponseBodySize", True), ("HttpResponseTrailerSectionSize", True),
    ("HttpResponseTrailerSize", True), ("HttpResponseTransferCoding", True),
    ("HttpResponseContentCoding", True), ("HttpResponseTimeout", False),
    ("HttpUpgradeFailed", False), ("HttpProtocolError", False), ("LoopDetected", False),
    ("ConfigurationError", False), ("InternalError", True),
]

ERROR_CODES = []
for _name, _valued in _CODES:
    _cls = getattr(_http, "ErrorCode_" + _name, None)
    if _cls is None:
        _cls = make_dataclass("ErrorCode_" + _name, [("value", object)] if _valued else [])
        _cls.__module__ = __name__
    globals()["ErrorCode_" + _name] = _cls
    ERROR_CODES.append(_cls)
del _name, _valued, _cls

ErrorCode = Union[tuple(ERROR_CODES)]


@dataclass
class HeaderError_InvalidSyntax:
    pass


@dataclass
class HeaderError_Forbidden:
    pass


@dataclass
class HeaderError_Immutable:
    pass


@dataclass
class HeaderError_SizeExceeded:
    pass


@dataclass
class HeaderError_Other:
    value: Optional[str]


HeaderError = Union[HeaderError_InvalidSyntax, HeaderError_Forbidden, HeaderError_Immutable,
                    HeaderError_SizeExceeded, HeaderError_Other]

# ---- fields ----------------------------------------------------------------------

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(rb"[\r\n\x00]")
MAX_FIELD_BYTES = 64 * 1024


def _field(name, value):
    """(name, value bytes), or raises Err(HeaderError_InvalidSyntax)."""
    if not isinstance(name, str) or not isinstance(value, (bytes, bytearray, memoryview)):
        raise Err(HeaderError_InvalidSyntax())
    raw = name.encode("utf-8", "replace")
    value = bytes(value)
    if _TOKEN.match(raw) is None or _BAD_VALUE.search(value) is not None:
        raise Err(HeaderError_InvalidSyntax())
    if len(raw) + len(value) > MAX_FIELD_BYTES:
        raise Err(HeaderError_SizeExceeded())
    return name, value


class Fields:
    """HTTP fields (headers or trailers): (name, value bytes) pairs in
    order, a name repeated once per value. Names compare case-insensitively
    and keep the case they were given. Fields a request or response hands
    out are immutable: set, append and delete raise
    Err(HeaderError_Immutable())."""

    def __init__(self):
        self._entries = []
        self._immutable = False

    @classmethod
    def from_list(cls, entries: List[Tuple[str, bytes]]):
        f = cls()
        f._entries = [_field(n, v) for n, v in entries]
        return f

    @classmethod
    def _frozen(cls, entries):
        f = cls()
        f._entries = list(entries)
        f._immutable = True
        return f

    def _check_mutable(self):
        if self._immutable:
            raise Err(HeaderError_Immutable())

    def get(self, name: str) -> List[bytes]:
        key = name.lower()
        return [v for n, v in self._entries if n.lower() == key]

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(n.lower() == key for n, _ in self._entries)

    def set(self, name: str, value: List[bytes]) -> None:
        self._check_mutable()
        new = [_field(name, v) for v in value]
        key = name.lower()
        self._entries = [(n, v) for n, v in self._entries if n.lower() != key] + new

    def delete(self, name: str) -> None:
        self._check_mutable()
        key = name.lower()
        self._entries = [(n, v) for n, v in self._entries if n.lower() != key]

    def get_and_delete(self, name: str) -> List[bytes]:
        values = self.get(name)
        self.delete(name)
        return values

    def append(self, name: str, value: bytes) -> None:
        self._check_mutable()
        self._entries.append(_field(name, value))

    def entries(self) -> List[Tuple[str, bytes]]:
        return list(self._entries)

    copy_all = entries

    def clone(self):
        f = type(self)()
        f._entries = list(self._entries)
        return f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def pairs_of(request):
    """An inbound request's headers as wasi:http fields: every one, repeated
    names kept (pyedge_entry's header_pairs), else the header dict."""
    pairs = getattr(request, "header_pairs", None)
    if pairs is None:
        pairs = request.headers.items()
    return [(name, value.encode("utf-8")) for name, value in pairs]


def split_full_url(request):
    """(scheme, authority) of an inbound request, from spin-full-url."""
    from urllib.parse import urlsplit

    url = request.headers.get("spin-full-url", "")
    parts = urlsplit(url)
    scheme = {"http": Scheme_Http(), "https": Scheme_Https()}.get(parts.scheme)
    if scheme is None and parts.scheme:
        scheme = Scheme_Other(parts.scheme)
    return scheme or Scheme_Http(), parts.netloc or request.headers.get("host")


def outbound(method, scheme, authority, path_with_query, headers, body):
    """Sends one request through the host; (status, [(name, bytes)], body).
    Raises Err(ErrorCode_...) (spin_sdk.http.HttpError) when it cannot."""
    if not authority:
        url = path_with_query or "/"  # a request to this app ("self")
    else:
        url = f"{scheme_name(scheme)}://{authority}{path_with_query or '/'}"
    try:
        return _http._exchange(method_name(method), url, headers, body)
    except _http._hc.HostCallError as e:
        raise _http.HttpError(_http._error_code(e), e.message) from None
