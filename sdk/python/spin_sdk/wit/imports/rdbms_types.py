"""spin_sdk.wit.imports.rdbms_types: the values, columns and errors of
Spin's `fermyon:spin/rdbms-types@2.0.0` (used by spin_sdk.mysql and by
spin-sdk 3.x's spin_sdk.postgres), and the byte codec that the postgres
and mysql host calls share (docs/hostcall.md, "postgres").

A parameter goes to the host as one blob: b"n" (NULL), b"t" + u32-le type
+ UTF-8 text in the server's input syntax, or b"b" + bytes. A result value
comes back as b"n", b"t" + text or b"b" + bytes, with each column's server
type, and is turned into a DbValue_* here or in the interface's module.
"""

import struct
from dataclasses import dataclass
from enum import Enum
from typing import List, Union

import pyedge_hostcall as _hc
from spin_sdk.wit.types import Err

__all__ = ["Error", "Error_ConnectionFailed", "Error_BadParameter", "Error_QueryFailed",
           "Error_ValueConversionFailed", "Error_Other", "DbDataType", "DbValue",
           "DbValue_Boolean", "DbValue_Int8", "DbValue_Int16", "DbValue_Int32", "DbValue_Int64",
           "DbValue_Uint8", "DbValue_Uint16", "DbValue_Uint32", "DbValue_Uint64",
           "DbValue_Floating32", "DbValue_Floating64", "DbValue_Str", "DbValue_Binary",
           "DbValue_DbNull", "DbValue_Unsupported", "ParameterValue", "ParameterValue_Boolean",
           "ParameterValue_Int8", "ParameterValue_Int16", "ParameterValue_Int32",
           "ParameterValue_Int64", "ParameterValue_Uint8", "ParameterValue_Uint16",
           "ParameterValue_Uint32", "ParameterValue_Uint64", "ParameterValue_Floating32",
           "ParameterValue_Floating64", "ParameterValue_Str", "ParameterValue_Binary",
           "ParameterValue_DbNull", "Column", "RowSet"]


@dataclass
class Error_ConnectionFailed:
    value: str


@dataclass
class Error_BadParameter:
    value: str


@dataclass
class Error_QueryFailed:
    value: str


@dataclass
class Error_ValueConversionFailed:
    value: str


@dataclass
class Error_Other:
    value: str


Error = Union[Error_ConnectionFailed, Error_BadParameter, Error_QueryFailed,
              Error_ValueConversionFailed, Error_Other]


class DbDataType(Enum):
    BOOLEAN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOATING32 = 9
    FLOATING64 = 10
    STR = 11
    BINARY = 12
    OTHER = 13


def _variant(name, field=None, default=None):
    """A dataclass like componentize-py's variant cases: one `value` field
    (or none)."""
    ns = {"__annotations__": {}}
    if field is not None:
        ns["__annotations__"]["value"] = field
        if default is not None:
            ns["value"] = default
    return dataclass(type(name, (), ns))


# The value cases every interface version shares (postgres 4.x adds more,
# in its own module, with these same classes for these names).
DbValue_Boolean = _variant("DbValue_Boolean", bool)
DbValue_Int8 = _variant("DbValue_Int8", int)
DbValue_Int16 = _variant("DbValue_Int16", int)
DbValue_Int32 = _variant("DbValue_Int32", int)
DbValue_Int64 = _variant("DbValue_Int64", int)
DbValue_Uint8 = _variant("DbValue_Uint8", int)
DbValue_Uint16 = _variant("DbValue_Uint16", int)
DbValue_Uint32 = _variant("DbValue_Uint32", int)
DbValue_Uint64 = _variant("DbValue_Uint64", int)
DbValue_Floating32 = _variant("DbValue_Floating32", float)
DbValue_Floating64 = _variant("DbValue_Floating64", float)
DbValue_Str = _variant("DbValue_Str", str)
DbValue_Binary = _variant("DbValue_Binary", bytes)
DbValue_DbNull = _variant("DbValue_DbNull")
# 2.0's case has no payload, postgres 4.x's holds the raw bytes: one class
# whose value defaults to b"".
DbValue_Unsupported = _variant("DbValue_Unsupported", bytes, b"")

DbValue = Union[DbValue_Boolean, DbValue_Int8, DbValue_Int16, DbValue_Int32, DbValue_Int64,
                DbValue_Uint8, DbValue_Uint16, DbValue_Uint32, DbValue_Uint64,
                DbValue_Floating32, DbValue_Floating64, DbValue_Str, DbValue_Binary,
                DbValue_DbNull, DbValue_Unsupported]

ParameterValue_Boolean = _variant("ParameterValue_Boolean", bool)
ParameterValue_Int8 = _variant("ParameterValue_Int8", int)
ParameterValue_Int16 = _variant("ParameterValue_Int16", int)
ParameterValue_Int32 = _variant("ParameterValue_Int32", int)
ParameterValue_Int64 = _variant("ParameterValue_Int64", int)
ParameterValue_Uint8 = _variant("ParameterValue_Uint8", int)
ParameterValue_Uint16 = _variant("ParameterValue_Uint16", int)
ParameterValue_Uint32 = _variant("ParameterValue_Uint32", int)
ParameterValue_Uint64 = _variant("ParameterValue_Uint64", int)
ParameterValue_Floating32 = _variant("ParameterValue_Floating32", float)
ParameterValue_Floating64 = _variant("ParameterValue_Floating64", float)
ParameterValue_Str = _variant("ParameterValue_Str", str)
ParameterValue_Binary = _variant("ParameterValue_Binary", bytes)
ParameterValue_DbNull = _variant("ParameterValue_DbNull")

ParameterValue = Union[ParameterValue_Boolean, ParameterValue_Int8, ParameterValue_Int16,
                       ParameterValue_Int32, ParameterValue_Int64, ParameterValue_Uint8,
                       ParameterValue_Uint16, ParameterValue_Uint32, ParameterValue_Uint64,
                       ParameterValue_Floating32, ParameterValue_Floating64, ParameterValue_Str,
                       ParameterValue_Binary, ParameterValue_DbNull]


@dataclass
class Column:
    name: str
    data_type: DbDataType


@dataclass
class RowSet:
    columns: List[Column]
    rows: List[List[DbValue]]


# ---- the wire codec -----------------------------------------------------------------

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HANDLE_LEN = _U32.pack(8)
NULL = b"n"

_RANGES = {"Int8": (-(1 << 7), 1 << 7), "Int16": (-(1 << 15), 1 << 15),
           "Int32": (-(1 << 31), 1 << 31), "Int64": (-(1 << 63), 1 << 63),
           "Uint8": (0, 1 << 8), "Uint16": (0, 1 << 16), "Uint32": (0, 1 << 32),
           "Uint64": (0, 1 << 64)}


def param_case(i, v):
    """(case, value) of parameter i, a ParameterValue_* (case "Int32" for
    ParameterValue_Int32); ("DbNull", None) for None or
    ParameterValue_DbNull; ValueError for anything else."""
    t = type(v)
    name = t.__name__
    if v is None or t is ParameterValue_DbNull:
        return "DbNull", None
    if not name.startswith("ParameterValue_"):
        raise ValueError(f"parameter {i}: expected a ParameterValue_*, not {name}")
    return name[15:], getattr(v, "value", None)


def check_type(i, case, x, types):
    """x, when it is of types (a bool is never a number here); else
    ValueError naming parameter i and its ParameterValue_<case>."""
    if not isinstance(x, types) or (isinstance(x, bool) and types is not bool):
        raise ValueError(f"parameter {i}: ParameterValue_{case} holds a {type(x).__name__}")
    return x


def binary(i, x):
    """The blob of a ParameterValue_Binary parameter i holding x."""
    return b"b" + bytes(check_type(i, "Binary", x, (bytes, bytearray, memoryview)))


def check_int(i, case, v):
    """v as an int in the range of the case ("Int32"...), else ValueError
    naming parameter i."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"parameter {i}: ParameterValue_{case} holds a {type(v).__name__}, "
                         "not an int")
    lo, hi = _RANGES[case]
    if not lo <= v < hi:
        raise ValueError(f"parameter {i}: {v} is out of range for ParameterValue_{case}")
    return v


def float_text(v):
    """A float in the input syntax of PostgreSQL and MySQL."""
    v = float(v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def text(type_, s):
    """A text parameter blob of server type type_."""
    return b"t" + _U32.pack(type_) + s.encode("utf-8")


def payload(handle, statement, blobs):
    """The bytes of a query/execute call."""
    if not isinstance(statement, str):
        raise TypeError(f"a statement must be a str, not {type(statement).__name__}")
    sql = statement.encode("utf-8")
    parts = [_HANDLE_LEN, handle, _U32.pack(len(sql)), sql]
    for b in blobs:
        parts.append(_U32.pack(len(b)))
        parts.append(b)
    return b"".join(parts)


def parse_rows(reply):
    """(columns as [(name, type)], rows as lists of None | str | bytes) from
    a query reply (after its status byte)."""
    u32 = _U32.unpack_from
    pos, end = 0, len(reply)

    def blob():
        nonlocal pos
        (n,) = u32(reply, pos)
        start, pos = pos + 4, pos + 4 + n
        if pos > end:
            raise ValueError("truncated query reply from the host")
        return reply[start:pos]

    (ncols,) = _U64.unpack(blob())
    columns = []
    for _ in range(ncols):
        name = bytes(blob()).decode("utf-8", "replace")
        (type_,) = _U64.unpack(blob())
        columns.append((name, type_))
    rows, row = [], []
    while pos < end:
        b = blob()
        tag = b[:1]
        if tag == b"n":
            row.append(None)
        elif tag == b"t":
            row.append(bytes(b[1:]).decode("utf-8", "replace"))
        elif tag == b"b":
            row.append(bytes(b[1:]))
        else:
            raise ValueError("unknown value in a query reply from the host")
        if len(row) == ncols:
            rows.append(row)
            row = []
    if row or (rows and not ncols):
        raise ValueError("truncated query reply from the host")
    return columns, rows


# ---- what the two Connections do alike ----------------------------------------------------------


def call(service, handle, statement, params, param, error):
    """The reply of the host call `service` ("mysql.query") for `statement`
    and its `params`, each made a blob by param(position, value) (a
    ValueError: Err(Error_BadParameter)). A refusal raises error(e), the
    interface's Err for the HostCallError e."""
    if handle is None:
        raise Err(Error_Other("the connection is closed"))
    try:
        blobs = [param(i + 1, v) for i, v in enumerate(params or ())]
    except ValueError as e:
        raise Err(Error_BadParameter(str(e))) from None
    status, reply = _hc.call_raw(service, payload(handle, statement, blobs))
    if status != _hc.OK:
        raise error(_hc.HostCallError(service, status, bytes(reply).decode("utf-8", "replace")))
    return reply


def convert_rows(rows, convs, errors):
    """rows (from parse_rows) as lists of DbValue_*: a NULL as DbNull, any
    other value through its column's converter (convs: (_, fn) a column).
    A converter's exception in `errors` raises Err(Error_ValueConversionFailed)."""
    out = []
    for row in rows:
        values = []
        for v, (_, fn) in zip(row, convs):
            if v is None:
                values.append(DbValue_DbNull())
                continue
            try:
                values.append(fn(v))
            except errors as e:
                raise Err(Error_ValueConversionFailed(
                    f"cannot convert {v[:64]!r} for column {len(values) + 1}: {e}")) from None
        out.append(values)
    return out
