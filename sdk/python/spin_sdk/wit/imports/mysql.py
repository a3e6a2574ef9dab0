"""spin_sdk.wit.imports.mysql: Spin's MySQL interface
(fermyon:spin/mysql@2.0.0, values and errors of rdbms_types) over pyedge's
host calls ("mysql.*", docs/hostcall.md). Synchronous in both spin-sdk
generations, as in spin-sdk 4.0 itself.

    conn = Connection.open("mysql://user:pass@127.0.0.1:3306/db")
    conn.query("SELECT * FROM t WHERE id = ?", [ParameterValue_Int32(1)])
        -> RowSet(columns, rows)
    conn.execute("DELETE FROM t WHERE id = ?", [...]) -> None

Statements are prepared by the server and parameters bound (`?`), never
pasted into the SQL. Integer columns come back as DbValue_Int8..Int64 or
DbValue_Uint8..Uint64 by their size and sign, FLOAT/DOUBLE as
Floating32/64, text columns (and DECIMAL, dates and times, JSON, as the
server writes them) as DbValue_Str, binary ones as DbValue_Binary.
"""

import pyedge_hostcall as _hc
from spin_sdk._handle import Closable
from spin_sdk.wit.imports import rdbms_types as _rt
from spin_sdk.wit.imports.rdbms_types import (DbDataType, DbValue_Binary, DbValue_DbNull,
                                              DbValue_Floating32, DbValue_Floating64,
                                              DbValue_Int8, DbValue_Int16, DbValue_Int32,
                                              DbValue_Int64, DbValue_Str, DbValue_Uint8,
                                              DbValue_Uint16, DbValue_Uint32, DbValue_Uint64,
                                              DbValue_Unsupported, Error_BadParameter,
                                              Error_ConnectionFailed, Error_Other,
                                              Error_QueryFailed, Error_ValueConversionFailed)
from spin_sdk.wit.types import Err

__all__ = ["Connection"]

UNSIGNED, BINARY = 1 << 31, 1 << 30
TINY, SHORT, LONG, FLOAT, DOUBLE, NULL, LONGLONG, INT24, YEAR = 1, 2, 3, 4, 5, 6, 8, 9, 13
STRING = 254

_INTS = {  # field type -> (signed case, unsigned case, data types)
    TINY: (DbValue_Int8, DbValue_Uint8, DbDataType.INT8, DbDataType.UINT8),
    SHORT: (DbValue_Int16, DbValue_Uint16, DbDataType.INT16, DbDataType.UINT16),
    YEAR: (DbValue_Int16, DbValue_Uint16, DbDataType.INT16, DbDataType.UINT16),
    INT24: (DbValue_Int32, DbValue_Uint32, DbDataType.INT32, DbDataType.UINT32),
    LONG: (DbValue_Int32, DbValue_Uint32, DbDataType.INT32, DbDataType.UINT32),
    LONGLONG: (DbValue_Int64, DbValue_Uint64, DbDataType.INT64, DbDataType.UINT64),
}
# text-like field types: decimal, dates and times, strings, blobs, JSON, enum, set, bit
_TEXTS = {0, 7, 10, 11, 12, 14, 15, 16, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254}


def _converter(t):
    """(DbDataType, value converter) for a column's type."""
    base = t & 0xFFFF
    if base in _INTS:
        s, u, ds, du = _INTS[base]
        return (du, lambda v: u(int(v))) if t & UNSIGNED else (ds, lambda v: s(int(v)))
    if base == FLOAT:
        return DbDataType.FLOATING32, lambda v: DbValue_Floating32(float(v))
    if base == DOUBLE:
        return DbDataType.FLOATING64, lambda v: DbValue_Floating64(float(v))
    if base in _TEXTS:
        if t & BINARY:
            return DbDataType.BINARY, lambda v: DbValue_Binary(
                v if isinstance(v, bytes) else v.encode("utf-8"))
        return DbDataType.STR, lambda v: DbValue_Str(
            v if isinstance(v, str) else v.decode("utf-8", "replace"))
    return DbDataType.OTHER, lambda v: DbValue_Unsupported()


def _param(i, v):
    case, x = _rt.param_case(i, v)
    if case == "DbNull":
        return _rt.NULL
    if case == "Boolean":
        return _rt.text(TINY, "1" if _rt.check_type(i, case, x, bool) else "0")
    if case in ("Int8", "Int16", "Int32", "Int64"):
        return _rt.text(LONGLONG, str(_rt.check_int(i, case, x)))
    if case in ("Uint8", "Uint16", "Uint32", "Uint64"):
        return _rt.text(LONGLONG | UNSIGNED, str(_rt.check_int(i, case, x)))
    if case in ("Floating32", "Floating64"):
        _rt.check_type(i, case, x, (int, float))
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"parameter {i}: MySQL has no NaN or infinity")
        return _rt.text(DOUBLE, repr(float(x)))
    if case == "Str":
        if "\0" in _rt.check_type(i, case, x, str):
            raise ValueError(f"parameter {i}: text parameters cannot hold NUL (use Binary)")
        return _rt.text(STRING, x)
    if case == "Binary":
        return _rt.binary(i, x)
    raise ValueError(f"parameter {i}: ParameterValue_{case} is not a MySQL parameter")


def _error(e, op):
    if op == "open":
        return Err(Error_Other(e.message) if e.status == _hc.LIMIT
                   else Error_ConnectionFailed(e.message))
    if e.status == _hc.INVALID:
        if "no open mysql connection" in e.message:
            return Err(Error_Other(e.message))
        return Err(Error_BadParameter(e.message))
    if e.status in (_hc.BACKEND, _hc.TIMEOUT):
        return Err(Error_QueryFailed(e.message))
    return Err(Error_Other(e.message))


class Connection(Closable):
    """A connection to a MySQL or MariaDB server, open until close() (also
    `with`, and the end of the request: a connection never outlives it)."""

    __slots__ = ()
    _close_service = "mysql.close"

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def open(cls, address: str) -> "Connection":
        if not isinstance(address, str):
            raise TypeError(f"an address must be a str, not {type(address).__name__}")
        try:
            (handle,) = _hc.call("mysql.open", address)
        except _hc.HostCallError as e:
            raise _error(e, "open") from None
        return cls(handle)

    def _call(self, op, statement, params):
        return _rt.call("mysql." + op, self._handle, statement, params, _param,
                        lambda e: _error(e, op))

    def query(self, statement: str, params: list) -> _rt.RowSet:
        cols, rows = _rt.parse_rows(self._call("query", statement, params))
        convs = [_converter(t) for _, t in cols]
        out = _rt.convert_rows(rows, convs, (ValueError, OverflowError))
        return _rt.RowSet([_rt.Column(n, c[0]) for (n, _), c in zip(cols, convs)], out)

    def execute(self, statement: str, params: list) -> None:
        self._call("execute", statement, params)
