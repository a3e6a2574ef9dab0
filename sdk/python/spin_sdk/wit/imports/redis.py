"""spin_sdk.wit.imports.redis: Spin's outbound Redis interface
(fermyon:spin/redis@2.0.0, spin:redis/redis@3.0.0) over pyedge's host calls
("redis.*", docs/hostcall.md).

`Connection` serves both spin-sdk generations (spin_sdk._mode): in a 3.x
app `Connection.open` and the methods return values, in a 4.0 app they
return coroutines to await. A connection is a context manager; leaving the
`with` block closes it, and the host closes whatever is still open when the
request ends (a connection kept in a global is closed in the next request).

Errors are raised as `spin_sdk.wit.types.Err` with `.value` one of
    Error_InvalidAddress      the address is not a redis:// URL, or the
                              component's allowed_outbound_hosts does not
                              allow it (as Spin; the exception's note and
                              the host's log say which rule to add)
    Error_TooManyConnections  8 connections are open in this request
    Error_TypeError           a reply of another type than the call returns
                              (get of a number, smembers of non-UTF-8 bytes)
    Error_Other(str)          anything else: Redis's own error text
                              (WRONGTYPE..., as Spin), a server that is down
                              or too slow, a closed connection, a limit
"""

import struct
from dataclasses import dataclass
from typing import List, Optional, Union

import pyedge_hostcall as _hc
from spin_sdk import _mode
from spin_sdk._handle import Handle
from spin_sdk.wit.types import Err

__all__ = ["Connection", "Error", "Error_InvalidAddress", "Error_TooManyConnections",
           "Error_TypeError", "Error_Other", "RedisParameter", "RedisParameter_Int64",
           "RedisParameter_Binary", "RedisResult", "RedisResult_Nil", "RedisResult_Status",
           "RedisResult_Int64", "RedisResult_Binary"]


@dataclass
class Error_InvalidAddress:
    pass


@dataclass
class Error_TooManyConnections:
    pass


@dataclass
class Error_TypeError:
    pass


@dataclass
class Error_Other:
    value: str


Error = Union[Error_InvalidAddress, Error_TooManyConnections, Error_TypeError, Error_Other]


@dataclass
class RedisParameter_Int64:
    value: int


@dataclass
class RedisParameter_Binary:
    value: bytes


RedisParameter = Union[RedisParameter_Int64, RedisParameter_Binary]


@dataclass
class RedisResult_Nil:
    pass


@dataclass
class RedisResult_Status:
    value: str


@dataclass
class RedisResult_Int64:
    value: int


@dataclass
class RedisResult_Binary:
    value: bytes


RedisResult = Union[RedisResult_Nil, RedisResult_Status, RedisResult_Int64, RedisResult_Binary]

_I64 = struct.Struct("<q")


def _text(what, s):
    if not isinstance(s, str):
        raise TypeError(f"a Redis {what} must be a str, not {type(s).__name__}")
    return s.encode("utf-8")


def _bytes(what, b):
    if isinstance(b, (bytes, bytearray, memoryview)):
        return bytes(b)
    raise TypeError(f"a Redis {what} must be bytes, not {type(b).__name__}")


def _texts(what, items):
    if isinstance(items, (str, bytes)):
        raise TypeError(f"Redis {what}s must be a list of str, not a {type(items).__name__}")
    return [_text(what, s) for s in items]


def _param(p):
    if isinstance(p, RedisParameter_Int64):
        if isinstance(p.value, bool) or not isinstance(p.value, int):
            raise TypeError(f"RedisParameter_Int64 holds an int, not {type(p.value).__name__}")
        if not -(1 << 63) <= p.value < (1 << 63):
            raise OverflowError(f"RedisParameter_Int64 {p.value} does not fit in 64 bits")
        return b"i" + _I64.pack(p.value)
    if isinstance(p, RedisParameter_Binary):
        return b"b" + _bytes("RedisParameter_Binary value", p.value)
    raise TypeError(f"an execute argument must be RedisParameter_Int64 or RedisParameter_Binary, "
                    f"not {type(p).__name__}")


def _result(blob):
    kind, body = blob[:1], blob[1:]
    if kind == b"n" and not body:
        return RedisResult_Nil()
    if kind == b"s":
        return RedisResult_Status(body.decode("utf-8", "replace"))
    if kind == b"i" and len(body) == 8:
        return RedisResult_Int64(_I64.unpack(body)[0])
    if kind == b"b":
        return RedisResult_Binary(body)
    raise Err(Error_Other("malformed redis reply from the host"))


def _one(results, kind):
    """The value of the single result of type kind, else Error_TypeError."""
    if len(results) != 1 or not isinstance(results[0], kind):
        raise Err(Error_TypeError())
    return results[0].value


def _redacted(address):
    """address without a password, for the repr."""
    head, sep, rest = address.partition("://")
    auth, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in auth:
        return address
    return f"{head}://{auth.split(':', 1)[0]}:***@{host}"


_OPEN_ERRORS = {_hc.INVALID: Error_InvalidAddress, _hc.DENIED: Error_InvalidAddress,
                _hc.LIMIT: Error_TooManyConnections}


class Connection(Handle):
    """An open connection to a Redis server (close(), `with`:
    spin_sdk._handle.Handle; its label is the address without a password)."""

    __slots__ = ()
    _close_service = "redis.close"
    _what = "redis Connection"
    # True for an interface whose functions are synchronous in every
    # generation (fermyon:spin/redis@2.0.0 under spin-sdk 4.0 too)
    _sync_only = False

    @classmethod
    def _returns(cls, fn, *args):
        return fn(*args) if cls._sync_only else _mode.returns(fn, *args)

    # --- opening --------------------------------------------------------------------

    @classmethod
    def _open_now(cls, address):
        a = _text("address", address)
        try:
            (handle,) = _hc.call("redis.open", a)
        except _hc.HostCallError as e:
            variant = _OPEN_ERRORS.get(e.status)
            err = Err(variant() if variant is not None else Error_Other(e.message))
            if variant is not None:
                err.add_note(e.message)
            raise err from None
        return cls(handle, _redacted(address))

    @classmethod
    def open(cls, address: str) -> "Connection":
        """Connects to the Redis server at `address`
        (redis://[user:password@]host[:port][/db]), which the component's
        allowed_outbound_hosts must allow."""
        return cls._returns(cls._open_now, address)

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc_value, traceback):
        self.close()
        return None

    # --- commands -------------------------------------------------------------------

    def _call(self, op, *blobs):
        if self._handle is None:
            raise Err(Error_Other(f"the redis connection to {self.label} is closed"))
        try:
            return [_result(b) for b in _hc.call("redis." + op, self._handle, *blobs)]
        except _hc.HostCallError as e:
            raise Err(Error_Other(e.message)) from None

    def _publish(self, channel, payload):
        self._call("publish", _text("channel", channel), _bytes("payload", payload))

    def _get(self, key):
        r = self._call("get", _text("key", key))
        if len(r) == 1 and isinstance(r[0], RedisResult_Nil):
            return None
        return _one(r, RedisResult_Binary)

    def _set(self, key, value):
        self._call("set", _text("key", key), _bytes("value", value))

    def _count(self, op, *blobs):
        return _one(self._call(op, *blobs), RedisResult_Int64)

    def _smembers(self, key):
        out = []
        for r in self._call("smembers", _text("key", key)):
            if not isinstance(r, RedisResult_Binary):
                raise Err(Error_TypeError())
            try:
                out.append(r.value.decode("utf-8"))
            except UnicodeDecodeError:
                raise Err(Error_TypeError()) from None
        return out

    def _execute(self, command, arguments):
        if isinstance(arguments, (str, bytes)):
            raise TypeError("execute's arguments must be a list of RedisParameter")
        return self._call("execute", _text("command", command), *[_param(p) for p in arguments])

    def publish(self, channel: str, payload: bytes) -> None:
        """Publishes payload on channel."""
        return self._returns(self._publish, channel, payload)

    def get(self, key: str) -> Optional[bytes]:
        """The value of key, or None when it has none."""
        return self._returns(self._get, key)

    def set(self, key: str, value: bytes) -> None:
        """Sets key to value."""
        return self._returns(self._set, key, value)

    def incr(self, key: str) -> int:
        """Adds one to the number at key (0 when absent); the new value."""
        return self._returns(lambda: self._count("incr", _text("key", key)))

    def del_(self, keys: List[str]) -> int:
        """Removes keys; how many existed."""
        return self._returns(lambda: self._count("del", *_texts("key", keys)))

    def sadd(self, key: str, values: List[str]) -> int:
        """Adds values to the set at key; how many were new."""
        return self._returns(
            lambda: self._count("sadd", _text("key", key), *_texts("set member", values)))

    def smembers(self, key: str) -> List[str]:
        """The members of the set at key."""
        return self._returns(self._smembers, key)

    def srem(self, key: str, values: List[str]) -> int:
        """Removes values from the set at key; how many were members."""
        return self._returns(
            lambda: self._count("srem", _text("key", key), *_texts("set member", values)))

    def execute(self, command: str, arguments: List[RedisParameter]) -> List[RedisResult]:
        """Runs any command; its reply as a flat list (arrays flattened, as
        Spin does)."""
        return self._returns(self._execute, command, arguments)
