"""spin_sdk.wit.imports.key_value: Spin's key-value interface over pyedge's
host calls ("kv.*", docs/hostcall.md).

`Store` serves both spin-sdk generations (spin_sdk._mode): in a 3.x app its
methods return values, in a 4.0 app they return coroutines to await;
`get_keys` gives a list in 3.x and a (StreamReader, FutureReader) pair in
4.0. A store is a context manager; leaving the `with` block closes it, and
the host closes whatever is still open when the request ends.

Errors are raised as `spin_sdk.wit.types.Err` with `.value` one of
    Error_AccessDenied    the component's `key_value_stores` lacks the label
    Error_NoSuchStore     no store has that label
    Error_StoreTableFull  too many stores open at once in this request
    Error_Other(str)      anything else: a key over 256 bytes, a value over
                          1 MiB, a closed store, a backend failure
"""

import struct
from dataclasses import dataclass
from typing import List, Optional, Union

import pyedge_hostcall as _hc
from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import StreamReader
from spin_sdk import _mode
from spin_sdk._handle import Handle, open_handle
from spin_sdk.wit.types import Err, Ok

__all__ = ["Store", "Error", "Error_StoreTableFull", "Error_NoSuchStore", "Error_AccessDenied",
           "Error_Other"]


@dataclass
class Error_StoreTableFull:
    pass


@dataclass
class Error_NoSuchStore:
    pass


@dataclass
class Error_AccessDenied:
    pass


@dataclass
class Error_Other:
    value: str


Error = Union[Error_StoreTableFull, Error_NoSuchStore, Error_AccessDenied, Error_Other]


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"a key-value store key must be a str, not {type(key).__name__}")
    return key.encode("utf-8")


def _value(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"a key-value store value must be bytes, not {type(value).__name__}")


def _call(op, *blobs):
    try:
        return _hc.call("kv." + op, *blobs)
    except _hc.HostCallError as e:
        raise Err(Error_Other(e.message)) from None


_U32 = struct.Struct("<I").pack
_HANDLE_LEN = _U32(8)


def _keyed(service, handle, key, value=None):
    """One call on a key (and a value), packed by hand: this is the path
    every get/set/delete/exists takes. Returns the reply after its status
    byte; raises Err(Error_Other) on any other status."""
    k = _key(key)
    if value is None:
        payload = b"".join((_HANDLE_LEN, handle, _U32(len(k)), k))
    else:
        payload = b"".join((_HANDLE_LEN, handle, _U32(len(k)), k, _U32(len(value)), value))
    try:
        status, rest = _hc.call_raw(service, payload)
    except _hc.HostCallError as e:
        raise Err(Error_Other(e.message)) from None
    if status != _hc.OK:
        raise Err(Error_Other(bytes(rest).decode("utf-8", "replace")))
    return rest


_OPEN_ERRORS = {_hc.DENIED: Error_AccessDenied, _hc.NOT_FOUND: Error_NoSuchStore,
                _hc.LIMIT: Error_StoreTableFull}


class Store(Handle):
    """An open key-value store (close(), `with`: spin_sdk._handle.Handle)."""

    __slots__ = ()
    _close_service = "kv.close"
    _what = "key-value Store"

    # --- opening ---------------------------------------------------------------

    @classmethod
    def _open_now(cls, label):
        return cls(open_handle("kv.open", label, "store label", _OPEN_ERRORS, Error_Other), label)

    @classmethod
    def open(cls, label: str) -> "Store":
        """Opens the store `label` (it must be in the component's
        key_value_stores)."""
        return _mode.returns(cls._open_now, label)

    # --- operations -------------------------------------------------------------

    def _h(self):
        if self._handle is None:
            raise Err(Error_Other(f"key-value store '{self.label}' is closed"))
        return self._handle

    def _get(self, key):
        rest = _keyed("kv.get", self._h(), key)
        if not rest:
            return None
        if len(rest) < 4 or int.from_bytes(rest[:4], "little") != len(rest) - 4:
            raise Err(Error_Other("malformed kv.get reply from the host"))
        return rest[4:]

    def _set(self, key, value):
        _keyed("kv.set", self._h(), key, _value(value))

    def _delete(self, key):
        _keyed("kv.delete", self._h(), key)

    def _exists(self, key):
        rest = _keyed("kv.exists", self._h(), key)
        if len(rest) != 12:
            raise Err(Error_Other("malformed kv.exists reply from the host"))
        return rest[4:] != bytes(8)

    def _keys(self):
        return [k.decode("utf-8", "replace") for k in _call("get_keys", self._h())]

    def _keys_stream(self):
        return StreamReader(self._keys()), FutureReader(Ok(None))

    def get(self, key: str) -> Optional[bytes]:
        """The value of `key`, or None when there is none."""
        return _mode.returns(self._get, key)

    def set(self, key: str, value: bytes) -> None:
        """Sets `key` to `value`, replacing any value it had."""
        return _mode.returns(self._set, key, value)

    def delete(self, key: str) -> None:
        """Removes `key`; no error if it is absent."""
        return _mode.returns(self._delete, key)

    def exists(self, key: str) -> bool:
        """Whether `key` has a value."""
        return _mode.returns(self._exists, key)

    def get_keys(self) -> List[str]:
        """Every key: a list (3.x), or a (StreamReader, FutureReader) pair to
        give to spin_sdk.util.collect (4.0)."""
        if _mode.is_async():
            return _mode.returns(self._keys_stream)
        return self._keys()
