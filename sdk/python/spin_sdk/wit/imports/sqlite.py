"""spin_sdk.wit.imports.sqlite: Spin's SQLite interface over pyedge's host
calls ("sqlite.*", docs/hostcall.md).

`Connection` serves both spin-sdk generations (spin_sdk._mode):
    3.x  Connection.open(name) -> Connection
         conn.execute(statement, parameters) -> QueryResult(columns, rows)
    4.0  await Connection.open(name) (or open_async)
         await conn.execute(statement, params)
             -> (columns, StreamReader[RowResult], FutureReader[Result])
         await conn.last_insert_rowid(), await conn.changes()
Parameters are Value_Integer / Value_Real / Value_Text / Value_Blob /
Value_Null (plain int, float, str, bytes and None are accepted too); they are
bound by the host with sqlite3_bind_*, never pasted into the SQL. One
execute runs exactly one statement.

Errors are raised as `spin_sdk.wit.types.Err` with `.value` one of
    Error_AccessDenied       the component's `sqlite_databases` lacks it
    Error_NoSuchDatabase     no database has that label
    Error_InvalidConnection  the connection is closed (or from another
                             request), or the label is malformed
    Error_DatabaseFull       SQLite said the database or disk is full
    Error_Io(str)            anything else: the SQL error's message, a
                             statement stopped by its time limit, a result
                             over 16 MiB, a refused ATTACH or PRAGMA
"""

import struct
from dataclasses import dataclass
from typing import List, Union

import pyedge_hostcall as _hc
from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import StreamReader
from spin_sdk import _mode
from spin_sdk._handle import Handle, open_handle
from spin_sdk.wit.types import Err, Ok

__all__ = ["Connection", "QueryResult", "RowResult", "Value", "Value_Integer", "Value_Real",
           "Value_Text", "Value_Blob", "Value_Null", "Error", "Error_NoSuchDatabase",
           "Error_AccessDenied", "Error_InvalidConnection", "Error_DatabaseFull", "Error_Io"]


@dataclass
class Error_NoSuchDatabase:
    pass


@dataclass
class Error_AccessDenied:
    pass


@dataclass
class Error_InvalidConnection:
    pass


@dataclass
class Error_DatabaseFull:
    pass


@dataclass
class Error_Io:
    value: str


Error = Union[Error_NoSuchDatabase, Error_AccessDenied, Error_InvalidConnection,
              Error_DatabaseFull, Error_Io]


@dataclass
class Value_Integer:
    value: int


@dataclass
class Value_Real:
    value: float


@dataclass
class Value_Text:
    value: str


@dataclass
class Value_Blob:
    value: bytes


@dataclass
class Value_Null:
    pass


Value = Union[Value_Integer, Value_Real, Value_Text, Value_Blob, Value_Null]

# spin-sdk 2.0 spelled the cases without the underscore (ValueInteger,
# ErrorIo, ...): the same classes under those names, for apps of that era.
ValueInteger, ValueReal, ValueText, ValueBlob, ValueNull = (
    Value_Integer, Value_Real, Value_Text, Value_Blob, Value_Null)
ErrorNoSuchDatabase, ErrorAccessDenied, ErrorInvalidConnection, ErrorDatabaseFull, ErrorIo = (
    Error_NoSuchDatabase, Error_AccessDenied, Error_InvalidConnection, Error_DatabaseFull,
    Error_Io)


@dataclass
class RowResult:
    """The values of one row, in column order."""
    values: List[Value]


@dataclass
class QueryResult:
    """What a statement returned: column names and rows."""
    columns: List[str]
    rows: List[RowResult]


_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_NULL = b"n"


def _encode(i, v):
    """One parameter as the host's value blob (type byte + payload)."""
    if isinstance(v, Value_Integer):
        v = v.value
        if not isinstance(v, int):
            raise TypeError(f"parameter {i}: Value_Integer holds a {type(v).__name__}")
    elif isinstance(v, Value_Real):
        v = float(v.value)
    elif isinstance(v, Value_Text):
        v = v.value
        if not isinstance(v, str):
            raise TypeError(f"parameter {i}: Value_Text holds a {type(v).__name__}")
    elif isinstance(v, Value_Blob):
        v = v.value
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise TypeError(f"parameter {i}: Value_Blob holds a {type(v).__name__}")
    elif isinstance(v, Value_Null):
        return _NULL
    if v is None:
        return _NULL
    if isinstance(v, int):  # bool too, as 0/1
        if not -(1 << 63) <= v < (1 << 63):
            raise OverflowError(f"parameter {i}: {v} does not fit in a 64-bit integer")
        return b"i" + _I64.pack(v)
    if isinstance(v, float):
        return b"r" + _F64.pack(v)
    if isinstance(v, str):
        return b"t" + v.encode("utf-8")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return b"b" + bytes(v)
    raise TypeError(f"parameter {i}: expected a Value_* (or int, float, str, bytes, None), "
                    f"not {type(v).__name__}")


def _signed(b):
    return _I64.unpack(b)[0]


_U32 = struct.Struct("<I")
_HANDLE_LEN = _U32.pack(8)
_META = struct.Struct("<IqIqIQ")  # the reply's three 8-byte blobs


def _parse(reply):
    """(column names, flat list of values) from an execute reply (after
    its status byte): the format is in src/services/sqlite/svc_sqlite.h. Written
    as one loop over offsets, as this runs for every value of every row."""
    l1, _, l2, _, l3, ncols = _META.unpack_from(reply, 0)
    if (l1, l2, l3) != (8, 8, 8):
        raise ValueError("malformed execute reply from the host")
    u32, i64, f64 = _U32.unpack_from, _I64.unpack_from, _F64.unpack_from
    pos, end = _META.size, len(reply)
    columns = []
    for _ in range(ncols):
        (n,) = u32(reply, pos)
        pos += 4
        columns.append(reply[pos:pos + n].decode("utf-8", "replace"))
        pos += n
    values = []
    add = values.append
    while pos < end:
        (n,) = u32(reply, pos)
        start, pos = pos + 5, pos + 4 + n
        tag = reply[start - 1]
        if tag == 0x69:  # i
            add(Value_Integer(i64(reply, start)[0]))
        elif tag == 0x74:  # t
            add(Value_Text(reply[start:pos].decode("utf-8", "replace")))
        elif tag == 0x72:  # r
            add(Value_Real(f64(reply, start)[0]))
        elif tag == 0x62:  # b
            add(Value_Blob(reply[start:pos]))
        elif tag == 0x6E:  # n
            add(Value_Null())
        else:
            raise ValueError(f"unknown value type {tag:#x} in an execute reply")
    if pos != end or (ncols and len(values) % ncols):
        raise ValueError("truncated execute reply from the host")
    return columns, values


_OPEN_ERRORS = {_hc.DENIED: Error_AccessDenied, _hc.NOT_FOUND: Error_NoSuchDatabase,
                _hc.INVALID: Error_InvalidConnection}


class Connection(Handle):
    """An open connection to a Spin SQLite database (close(), `with`:
    spin_sdk._handle.Handle; closing rolls back an open transaction)."""

    __slots__ = ("_changes", "_last_rowid")
    _close_service = "sqlite.close"
    _what = "sqlite Connection"

    def __init__(self, handle, label):
        super().__init__(handle, label)
        self._changes = 0
        self._last_rowid = 0

    # --- opening ---------------------------------------------------------------

    @classmethod
    def _open_now(cls, name):
        handle = open_handle("sqlite.open", name, "database label", _OPEN_ERRORS, Error_Io)
        return cls(handle, name)

    @classmethod
    def open(cls, name: str) -> "Connection":
        """Opens database `name` ("default" or a label from the runtime
        config); the component must list it in sqlite_databases."""
        return _mode.returns(cls._open_now, name)

    @classmethod
    def open_default(cls) -> "Connection":
        return _mode.returns(cls._open_now, "default")

    @classmethod
    async def open_async(cls, name: str) -> "Connection":
        return cls._open_now(name)

    # --- statements --------------------------------------------------------------------

    def _run(self, statement, parameters):
        if self._handle is None:
            raise Err(Error_InvalidConnection())
        if not isinstance(statement, str):
            raise TypeError(f"a statement must be a str, not {type(statement).__name__}")
        sql = statement.encode("utf-8")
        parts = [_HANDLE_LEN, self._handle, _U32.pack(len(sql)), sql]
        for i, v in enumerate(parameters or ()):
            b = _encode(i + 1, v)
            parts.append(_U32.pack(len(b)))
            parts.append(b)
        status, reply = _hc.call_raw("sqlite.execute", b"".join(parts))
        if status != _hc.OK:
            message = bytes(reply).decode("utf-8", "replace")
            if status == _hc.NOT_FOUND:
                raise Err(Error_InvalidConnection())
            if status == _hc.LIMIT:
                raise Err(Error_DatabaseFull())
            raise Err(Error_Io(message))
        columns, values = _parse(reply)
        self._changes, self._last_rowid = _signed(reply[4:12]), _signed(reply[16:24])
        n = len(columns)
        rows = [RowResult(values[i:i + n]) for i in range(0, len(values), n)] if n else []
        return QueryResult(columns, rows)

    def _run_stream(self, statement, parameters):
        result = self._run(statement, parameters)
        return result.columns, StreamReader(result.rows), FutureReader(Ok(None))

    def execute(self, statement: str, parameters: List[Value]) -> QueryResult:
        """Runs one statement with its parameters."""
        if _mode.is_async():
            return _mode.returns(self._run_stream, statement, parameters)
        return self._run(statement, parameters)

    async def execute_async(self, statement: str, parameters: List[Value]):
        return self._run_stream(statement, parameters)

    def last_insert_rowid(self) -> int:
        """The rowid of this connection's latest INSERT (0 if none)."""
        return _mode.returns(lambda: self._last_rowid)

    def changes(self) -> int:
        """Rows changed by this connection's latest INSERT, UPDATE or DELETE."""
        return _mode.returns(lambda: self._changes)

    async def last_insert_rowid_async(self) -> int:
        return self._last_rowid

    async def changes_async(self) -> int:
        return self._changes
