"""pyedge_hostcall: the blob wire format of pyedge's host services.

Every service pyedge offers beyond WASI (outbound HTTP, key-value, SQLite,
variables, crypto for JWT...) is reached through one builtin function,
`_pyedge.call(service, payload) -> reply` (docs/hostcall.md):

    payload = blobs, each a u32 little-endian length and that many bytes
    reply   = one status byte, then for OK the service's blobs, else a
              UTF-8 message

This module packs and unpacks those bytes so the SDK modules only deal in
Python values, and turns a non-OK status into an exception of the class
for that status (all subclasses of HostCallError). Integers travel as
8-byte little-endian blobs (u64 / from_u64).
"""

import struct

__all__ = [
    "HostCallError", "Denied", "NotFound", "Invalid", "Backend", "Timeout", "Limit",
    "NoService", "call", "call_raw", "encode", "decode", "u64", "from_u64",
    "OK", "DENIED", "NOT_FOUND", "INVALID", "BACKEND", "TIMEOUT", "LIMIT", "NO_SERVICE",
]

OK, DENIED, NOT_FOUND, INVALID, BACKEND, TIMEOUT, LIMIT, NO_SERVICE = range(8)

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class HostCallError(Exception):
    """A host service answered with a status other than OK.
    .status is the status byte, .message the host's text, .service the name."""

    status = None

    def __init__(self, service, status, message):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status
        self.message = message


class Denied(HostCallError):
    """The component may not use this resource (store label, host...)."""


class NotFound(HostCallError):
    """No such store, database, variable..."""


class Invalid(HostCallError):
    """The host refused the arguments (malformed or out of range)."""


class Backend(HostCallError):
    """The service itself failed (I/O, SQL error, connection)."""


class Timeout(HostCallError):
    """The service did not answer in time."""


class Limit(HostCallError):
    """A size or count limit was reached."""


class NoService(HostCallError):
    """The host has no service by that name."""


_BY_STATUS = {DENIED: Denied, NOT_FOUND: NotFound, INVALID: Invalid, BACKEND: Backend,
              TIMEOUT: Timeout, LIMIT: Limit, NO_SERVICE: NoService}


def u64(n):
    """An integer (0 <= n < 2**64) as the 8-byte little-endian blob."""
    return _U64.pack(n)


def from_u64(b):
    """The integer in an 8-byte little-endian blob."""
    if len(b) != 8:
        raise ValueError(f"expected an 8-byte integer blob, got {len(b)} bytes")
    return _U64.unpack(b)[0]


def _as_blob(b):
    if isinstance(b, str):
        return b.encode("utf-8")
    if isinstance(b, (bytes, bytearray, memoryview)):
        return bytes(b)
    raise TypeError(f"a host call blob must be bytes or str, not {type(b).__name__}")


def encode(*blobs):
    """The payload for blobs (bytes, or str sent as UTF-8)."""
    out = []
    for b in blobs:
        b = _as_blob(b)
        if len(b) > 0xFFFFFFFF:
            raise OverflowError("a host call blob cannot exceed 4 GiB")
        out.append(_U32.pack(len(b)))
        out.append(b)
    return b"".join(out)


def decode(data, start=0):
    """The blobs in data[start:]; ValueError if it is not a whole sequence."""
    blobs = []
    pos, end = start, len(data)
    while pos < end:
        if end - pos < 4:
            raise ValueError("host reply: truncated blob length")
        (n,) = _U32.unpack_from(data, pos)
        pos += 4
        if n > end - pos:
            raise ValueError("host reply: blob overruns the reply")
        blobs.append(bytes(data[pos:pos + n]))
        pos += n
    return blobs


# Called before every host call but response.*: a response being streamed
# sends what it holds before the handler may block (pyedge_response).
before_call = None


def call_raw(service, payload):
    """(status, reply bytes after the status byte) for one call."""
    import _pyedge  # only inside the sandbox
    if before_call is not None and not service.startswith("response."):
        before_call()

    reply = _pyedge.call(service, payload)
    if not reply:
        raise HostCallError(service, BACKEND, "empty reply from the host")
    return reply[0], reply[1:]


def call(service, *blobs):
    """Calls service with blobs; returns the reply's blobs (list of bytes)
    or raises the HostCallError subclass for the status."""
    status, rest = call_raw(service, encode(*blobs))
    if status == OK:
        return decode(rest)
    message = bytes(rest).decode("utf-8", "replace")
    raise _BY_STATUS.get(status, HostCallError)(service, status, message)
