"""spin_sdk.wit.imports.postgres: Spin's PostgreSQL interface over pyedge's
host calls ("postgres.*", docs/hostcall.md). One implementation serves
every generation (spin_sdk._mode):

    3.x  (fermyon:spin/postgres@2.0.0)
         conn = Connection.open("host=... user=... dbname=...")
         conn.query(sql, [ParameterValue_Int32(1)]) -> RowSet(columns, rows)
         conn.execute(sql, params) -> rows affected
         values and errors of spin_sdk.wit.imports.rdbms_types
    4.0  (spin:postgres/postgres@4.2.0)
         conn = await Connection.open_async(address)   (or await open())
         await conn.query_async(sql, params)
             -> (columns, StreamReader[row], FutureReader[Result])
         await conn.execute_async(sql, params) -> int
         the richer values below (dates, times, uuid, jsonb, decimal,
         ranges, arrays, interval) and Error_QueryFailed(QueryError_*)

Parameters are sent with their PostgreSQL type and bound by the server
($1, $2...), never pasted into the SQL. Columns whose type has no case
here come back as DbValue_Unsupported (4.x: with the server's text).
"""

import datetime as _dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional, Tuple, Union

import pyedge_hostcall as _hc
from spin_sdk._handle import Closable
from componentize_py_async_support.futures import FutureReader
from componentize_py_async_support.streams import StreamReader
from spin_sdk import _mode
from spin_sdk.wit.imports import rdbms_types as _rt
from spin_sdk.wit.imports.rdbms_types import (  # noqa: F401  the cases both versions share
    DbValue_Binary, DbValue_Boolean, DbValue_DbNull, DbValue_Floating32, DbValue_Floating64,
    DbValue_Int8, DbValue_Int16, DbValue_Int32, DbValue_Int64, DbValue_Str, DbValue_Unsupported,
    ParameterValue_Binary, ParameterValue_Boolean, ParameterValue_DbNull,
    ParameterValue_Floating32, ParameterValue_Floating64, ParameterValue_Int8,
    ParameterValue_Int16, ParameterValue_Int32, ParameterValue_Int64, ParameterValue_Str,
    ParameterValue_Uint8, ParameterValue_Uint16, ParameterValue_Uint32, ParameterValue_Uint64)
from spin_sdk.wit.imports.rdbms_types import _variant
from spin_sdk.wit.types import Err, Ok


# ---- errors (4.x) -------------------------------------------------------------------

@dataclass
class DbError:
    as_text: str
    severity: str
    code: str
    message: str
    detail: Optional[str]
    extras: List[Tuple[str, str]]


QueryError_Text = _variant("QueryError_Text", str)
QueryError_DbError = _variant("QueryError_DbError", DbError)
QueryError = Union[QueryError_Text, QueryError_DbError]

Error_ConnectionFailed = _rt.Error_ConnectionFailed
Error_BadParameter = _rt.Error_BadParameter
Error_ValueConversionFailed = _rt.Error_ValueConversionFailed
Error_Other = _rt.Error_Other


@dataclass
class Error_QueryFailed:
    value: QueryError


Error = Union[Error_ConnectionFailed, Error_BadParameter, Error_QueryFailed,
              Error_ValueConversionFailed, Error_Other]

# ---- data types (4.x: a variant) -------------------------------------------------------

_TYPE_NAMES = ["Boolean", "Int8", "Int16", "Int32", "Int64", "Floating32", "Floating64", "Str",
               "Binary", "Date", "Time", "Datetime", "Timestamp", "Uuid", "Jsonb", "Decimal",
               "RangeInt32", "RangeInt64", "RangeDecimal", "ArrayInt32", "ArrayInt64",
               "ArrayDecimal", "ArrayStr", "Interval"]
for _n in _TYPE_NAMES:
    globals()["DbDataType_" + _n] = _variant("DbDataType_" + _n)
DbDataType_Other = _variant("DbDataType_Other", str)
DbDataType = Union[tuple(globals()["DbDataType_" + n] for n in _TYPE_NAMES + ["Other"])]


@dataclass
class Interval:
    micros: int
    days: int
    months: int


class RangeBoundKind(Enum):
    INCLUSIVE = 0
    EXCLUSIVE = 1


@dataclass
class Column:
    name: str
    data_type: "DbDataType"


@dataclass
class RowSet:
    columns: List[Column]
    rows: List[List["DbValue"]]


DbValue_Date = _variant("DbValue_Date", tuple)
DbValue_Time = _variant("DbValue_Time", tuple)
DbValue_Datetime = _variant("DbValue_Datetime", tuple)
DbValue_Timestamp = _variant("DbValue_Timestamp", int)
DbValue_Uuid = _variant("DbValue_Uuid", str)
DbValue_Jsonb = _variant("DbValue_Jsonb", bytes)
DbValue_Decimal = _variant("DbValue_Decimal", str)
DbValue_RangeInt32 = _variant("DbValue_RangeInt32", tuple)
DbValue_RangeInt64 = _variant("DbValue_RangeInt64", tuple)
DbValue_RangeDecimal = _variant("DbValue_RangeDecimal", tuple)
DbValue_ArrayInt32 = _variant("DbValue_ArrayInt32", list)
DbValue_ArrayInt64 = _variant("DbValue_ArrayInt64", list)
DbValue_ArrayDecimal = _variant("DbValue_ArrayDecimal", list)
DbValue_ArrayStr = _variant("DbValue_ArrayStr", list)
DbValue_Interval = _variant("DbValue_Interval", Interval)
DbValue = Union[DbValue_Boolean, DbValue_Int8, DbValue_Int16, DbValue_Int32, DbValue_Int64,
                DbValue_Floating32, DbValue_Floating64, DbValue_Str, DbValue_Binary,
                DbValue_Date, DbValue_Time, DbValue_Datetime, DbValue_Timestamp, DbValue_Uuid,
                DbValue_Jsonb, DbValue_Decimal, DbValue_RangeInt32, DbValue_RangeInt64,
                DbValue_RangeDecimal, DbValue_ArrayInt32, DbValue_ArrayInt64,
                DbValue_ArrayDecimal, DbValue_ArrayStr, DbValue_Interval, DbValue_DbNull,
                DbValue_Unsupported]

ParameterValue_Date = _variant("ParameterValue_Date", tuple)
ParameterValue_Time = _variant("ParameterValue_Time", tuple)
ParameterValue_Datetime = _variant("ParameterValue_Datetime", tuple)
ParameterValue_Timestamp = _variant("ParameterValue_Timestamp", int)
ParameterValue_Uuid = _variant("ParameterValue_Uuid", str)
ParameterValue_Jsonb = _variant("ParameterValue_Jsonb", bytes)
ParameterValue_Decimal = _variant("ParameterValue_Decimal", str)
ParameterValue_RangeInt32 = _variant("ParameterValue_RangeInt32", tuple)
ParameterValue_RangeInt64 = _variant("ParameterValue_RangeInt64", tuple)
ParameterValue_RangeDecimal = _variant("ParameterValue_RangeDecimal", tuple)
ParameterValue_ArrayInt32 = _variant("ParameterValue_ArrayInt32", list)
ParameterValue_ArrayInt64 = _variant("ParameterValue_ArrayInt64", list)
ParameterValue_ArrayDecimal = _variant("ParameterValue_ArrayDecimal", list)
ParameterValue_ArrayStr = _variant("ParameterValue_ArrayStr", list)
ParameterValue_Interval = _variant("ParameterValue_Interval", Interval)
ParameterValue = Union[ParameterValue_Boolean, ParameterValue_Int8, ParameterValue_Int16,
                       ParameterValue_Int32, ParameterValue_Int64, ParameterValue_Floating32,
                       ParameterValue_Floating64, ParameterValue_Str, ParameterValue_Binary,
                       ParameterValue_Date, ParameterValue_Time, ParameterValue_Datetime,
                       ParameterValue_Timestamp, ParameterValue_Uuid, ParameterValue_Jsonb,
                       ParameterValue_Decimal, ParameterValue_RangeInt32,
                       ParameterValue_RangeInt64, ParameterValue_RangeDecimal,
                       ParameterValue_ArrayInt32, ParameterValue_ArrayInt64,
                       ParameterValue_ArrayDecimal, ParameterValue_ArrayStr,
                       ParameterValue_Interval, ParameterValue_DbNull]

# ---- parameters: PostgreSQL type OID and input text ----------------------------------------

BOOL, BYTEA, CHAR, INT8, INT2, INT4, TEXT = 16, 17, 18, 20, 21, 23, 25
FLOAT4, FLOAT8, BPCHAR, VARCHAR, NAME = 700, 701, 1042, 1043, 19
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC = 1082, 1083, 1114, 1184, 1186, 1700
UUID, JSON, JSONB = 2950, 114, 3802
INT4RANGE, NUMRANGE, INT8RANGE = 3904, 3906, 3926
INT4_ARRAY, INT8_ARRAY, TEXT_ARRAY, VARCHAR_ARRAY, NUMERIC_ARRAY = 1007, 1016, 1009, 1015, 1231
BPCHAR_ARRAY = 1014


def _two(i, v, n, what):
    if not isinstance(v, tuple) or len(v) != n or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise ValueError(f"parameter {i}: {what} must be a tuple of {n} ints")
    return v


def _date_text(i, v):
    y, m, d = _two(i, v, 3, "ParameterValue_Date")
    return f"{y:04d}-{m:02d}-{d:02d}" if y > 0 else f"{1 - y:04d}-{m:02d}-{d:02d} BC"


def _time_text(i, v):
    h, mi, s, ns = _two(i, v, 4, "ParameterValue_Time")
    return f"{h:02d}:{mi:02d}:{s:02d}.{ns // 1000:06d}"


def _range_text(i, v, elem):
    if not isinstance(v, tuple) or len(v) != 2:
        raise ValueError(f"parameter {i}: a range is a (lower, upper) tuple")
    lo, hi = v
    left = "(" if lo is None or lo[1] == RangeBoundKind.EXCLUSIVE else "["
    right = ")" if hi is None or hi[1] == RangeBoundKind.EXCLUSIVE else "]"
    return f"{left}{'' if lo is None else elem(lo[0])},{'' if hi is None else elem(hi[0])}{right}"


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_text(i, v, elem):
    if not isinstance(v, list):
        raise ValueError(f"parameter {i}: an array parameter holds a list")
    return "{" + ",".join("NULL" if x is None else elem(x) for x in v) + "}"


def _int_elem(i, case):
    return lambda x: str(_rt.check_int(i, case, x))


def _decimal(i, s):
    if not isinstance(s, str) or not re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*|NaN",
                                                  s):
        raise ValueError(f"parameter {i}: {s!r} is not a decimal number")
    return s.strip()


def _param(i, v, uint_ok=False):
    """One parameter as its host blob."""
    case, x = _rt.param_case(i, v)
    if case == "DbNull":
        return _rt.NULL
    if case == "Boolean":
        return _rt.text(BOOL, "true" if _rt.check_type(i, case, x, bool) else "false")
    if case in ("Int8", "Int16", "Int32", "Int64"):
        oid = {"Int8": CHAR, "Int16": INT2, "Int32": INT4, "Int64": INT8}[case]
        x = _rt.check_int(i, case, x)
        return _rt.text(INT2 if oid == CHAR else oid, str(x))
    if case.startswith("Uint"):
        raise ValueError(f"parameter {i}: PostgreSQL has no unsigned integers "
                         f"(ParameterValue_{case})")
    if case in ("Floating32", "Floating64"):
        _rt.check_type(i, case, x, (int, float))
        return _rt.text(FLOAT4 if case == "Floating32" else FLOAT8, _rt.float_text(x))
    if case == "Str":
        if "\0" in _rt.check_type(i, case, x, str):
            raise ValueError(f"parameter {i}: PostgreSQL text cannot hold a NUL character")
        return _rt.text(TEXT, x)
    if case == "Binary":
        return _rt.binary(i, x)
    if case == "Date":
        return _rt.text(DATE, _date_text(i, x))
    if case == "Time":
        return _rt.text(TIME, _time_text(i, x))
    if case == "Datetime":
        y, mo, d, h, mi, s, ns = _two(i, x, 7, "ParameterValue_Datetime")
        return _rt.text(TIMESTAMP, _date_text(i, (y, mo, d)).replace(
            " BC", "") + " " + _time_text(i, (h, mi, s, ns)) + (" BC" if y <= 0 else ""))
    if case == "Timestamp":
        secs = _rt.check_int(i, "Int64", x)
        return _rt.text(TIMESTAMPTZ, _epoch_text(i, secs))
    if case == "Uuid":
        if not isinstance(x, str):
            raise ValueError(f"parameter {i}: ParameterValue_Uuid holds a {type(x).__name__}")
        return _rt.text(UUID, x)
    if case == "Jsonb":
        if not isinstance(x, (bytes, bytearray, memoryview)):
            raise ValueError(f"parameter {i}: ParameterValue_Jsonb holds a {type(x).__name__}")
        try:
            s = bytes(x).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"parameter {i}: ParameterValue_Jsonb is not UTF-8") from None
        return _rt.text(JSONB, s)
    if case == "Decimal":
        return _rt.text(NUMERIC, _decimal(i, x))
    if case == "RangeInt32":
        return _rt.text(INT4RANGE, _range_text(i, x, _int_elem(i, "Int32")))
    if case == "RangeInt64":
        return _rt.text(INT8RANGE, _range_text(i, x, _int_elem(i, "Int64")))
    if case == "RangeDecimal":
        return _rt.text(NUMRANGE, _range_text(i, x, lambda s: _decimal(i, s)))
    if case == "ArrayInt32":
        return _rt.text(INT4_ARRAY, _array_text(i, x, _int_elem(i, "Int32")))
    if case == "ArrayInt64":
        return _rt.text(INT8_ARRAY, _array_text(i, x, _int_elem(i, "Int64")))
    if case == "ArrayDecimal":
        return _rt.text(NUMERIC_ARRAY, _array_text(i, x, lambda s: _decimal(i, s)))
    if case == "ArrayStr":
        def elem(s):
            if not isinstance(s, str) or "\0" in s:
                raise ValueError(f"parameter {i}: ParameterValue_ArrayStr holds a non-text item")
            return _quote(s)
        return _rt.text(TEXT_ARRAY, _array_text(i, x, elem))
    if case == "Interval":
        if not isinstance(x, Interval):
            raise ValueError(f"parameter {i}: ParameterValue_Interval holds an Interval")
        m = _rt.check_int(i, "Int32", x.months)
        d = _rt.check_int(i, "Int32", x.days)
        us = _rt.check_int(i, "Int64", x.micros)
        return _rt.text(INTERVAL, f"{m} months {d} days {us} microseconds")
    raise ValueError(f"parameter {i}: ParameterValue_{case} is not a PostgreSQL parameter")


def _epoch_text(i, secs):
    try:
        t = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(seconds=secs)
    except OverflowError:
        raise ValueError(f"parameter {i}: timestamp {secs} is out of range") from None
    return t.strftime("%Y-%m-%d %H:%M:%S+00")


# ---- results: text of a PostgreSQL type -> DbValue -----------------------------------------

_DATE_RE = re.compile(r"(\d{4,})-(\d\d)-(\d\d)")
_TIME_RE = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?")


def _nanos(frac):
    return int((frac or "0").ljust(9, "0")[:9])


def _parse_date(s):
    bc = s.endswith(" BC")
    m = _DATE_RE.fullmatch(s[:-3] if bc else s)
    if not m:
        raise ValueError(s)
    y = int(m[1])
    return (1 - y if bc else y, int(m[2]), int(m[3]))


def _parse_time(s):
    m = _TIME_RE.fullmatch(s)
    if not m:
        raise ValueError(s)
    return (int(m[1]), int(m[2]), int(m[3]), _nanos(m[4]))


def _parse_datetime(s, tz):
    bc = s.endswith(" BC")
    if bc:
        s = s[:-3]
    date, _, rest = s.partition(" ")
    off = 0
    if tz:
        m = re.fullmatch(r"(.*?)([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?", rest)
        if not m:
            raise ValueError(s)
        rest = m[1]
        off = (int(m[3]) * 3600 + int(m[4] or 0) * 60 + int(m[5] or 0)) * (1 if m[2] == "+" else -1)
    y, mo, d = _parse_date(date)
    h, mi, sec, ns = _parse_time(rest)
    if bc:
        y = 1 - y
    if off:
        t = _dt.datetime(y, mo, d, h, mi, sec) - _dt.timedelta(seconds=off)
        y, mo, d, h, mi, sec = t.year, t.month, t.day, t.hour, t.minute, t.second
    return (y, mo, d, h, mi, sec, ns)


def _parse_range(s, elem):
    if s == "empty":
        return (None, None)
    m = re.fullmatch(r"([\[(])(.*?),(.*?)([\])])", s)
    if not m:
        raise ValueError(s)

    def bound(x, inclusive):
        x = x.strip('"')
        if not x:
            return None
        return (elem(x), RangeBoundKind.INCLUSIVE if inclusive else RangeBoundKind.EXCLUSIVE)

    return (bound(m[2], m[1] == "["), bound(m[3], m[4] == "]"))


def _parse_array(s, elem):
    """A one-dimensional PostgreSQL array literal."""
    if not (s.startswith("{") and s.endswith("}")):
        raise ValueError(s)
    out, i, body = [], 0, s[1:-1]
    if not body:
        return out
    while True:
        if body[i:i + 1] == '"':
            j, buf = i + 1, []
            while body[j] != '"':
                if body[j] == "\\":
                    j += 1
                buf.append(body[j])
                j += 1
            out.append(elem("".join(buf)))
            i = j + 1
        else:
            j = body.find(",", i)
            j = len(body) if j < 0 else j
            item = body[i:j]
            if item.startswith("{"):
                raise ValueError("multi-dimensional arrays are not supported")
            out.append(None if item == "NULL" else elem(item))
            i = j
        if i >= len(body):
            return out
        if body[i] != ",":
            raise ValueError(s)
        i += 1


_IV_RE = re.compile(r"([-+]?\d+) (year|mon|day)s?")


def _parse_interval(s):
    """PostgreSQL's default interval output (IntervalStyle postgres)."""
    months = days = micros = 0
    rest = s
    for m in _IV_RE.finditer(s):
        n, unit = int(m[1]), m[2]
        if unit == "year":
            months += 12 * n
        elif unit == "mon":
            months += n
        else:
            days += n
        rest = rest.replace(m[0], "", 1)
    rest = rest.strip()
    if rest:
        m = re.fullmatch(r"([-+]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?", rest)
        if not m:
            raise ValueError(s)
        us = ((int(m[2]) * 60 + int(m[3])) * 60 + int(m[4])) * 1000000 + int(
            (m[5] or "0").ljust(6, "0"))
        micros = -us if m[1] == "-" else us
    return Interval(micros, days, months)


def _float(s):
    return float({"Infinity": "inf", "-Infinity": "-inf"}.get(s, s))


def _bytea(s):
    if not s.startswith("\\x"):
        raise ValueError("bytea not in hex output")
    return bytes.fromhex(s[2:])


# type OID -> (data type case, converter); _CONVERT4 only for 4.x, where
# 2.0 has no case for them (DbValue_Unsupported there).
_CONVERT = {
    BOOL: ("Boolean", lambda s: DbValue_Boolean(s == "t")),
    CHAR: ("Int8", lambda s: DbValue_Int8(int.from_bytes(s.encode("utf-8")[:1] or b"\0",
                                                         "little", signed=True))),
    INT2: ("Int16", lambda s: DbValue_Int16(int(s))),
    INT4: ("Int32", lambda s: DbValue_Int32(int(s))),
    INT8: ("Int64", lambda s: DbValue_Int64(int(s))),
    FLOAT4: ("Floating32", lambda s: DbValue_Floating32(_float(s))),
    FLOAT8: ("Floating64", lambda s: DbValue_Floating64(_float(s))),
    TEXT: ("Str", DbValue_Str), VARCHAR: ("Str", DbValue_Str), BPCHAR: ("Str", DbValue_Str),
    NAME: ("Str", DbValue_Str),
    BYTEA: ("Binary", lambda s: DbValue_Binary(_bytea(s))),
}
_CONVERT4 = {
    DATE: ("Date", lambda s: DbValue_Date(_parse_date(s))),
    TIME: ("Time", lambda s: DbValue_Time(_parse_time(s))),
    TIMESTAMP: ("Datetime", lambda s: DbValue_Datetime(_parse_datetime(s, False))),
    TIMESTAMPTZ: ("Datetime", lambda s: DbValue_Datetime(_parse_datetime(s, True))),
    UUID: ("Uuid", DbValue_Uuid),
    JSONB: ("Jsonb", lambda s: DbValue_Jsonb(s.encode("utf-8"))),
    JSON: ("Jsonb", lambda s: DbValue_Jsonb(s.encode("utf-8"))),
    NUMERIC: ("Decimal", DbValue_Decimal),
    INT4RANGE: ("RangeInt32", lambda s: DbValue_RangeInt32(_parse_range(s, int))),
    INT8RANGE: ("RangeInt64", lambda s: DbValue_RangeInt64(_parse_range(s, int))),
    NUMRANGE: ("RangeDecimal", lambda s: DbValue_RangeDecimal(_parse_range(s, str))),
    INT4_ARRAY: ("ArrayInt32", lambda s: DbValue_ArrayInt32(_parse_array(s, int))),
    INT8_ARRAY: ("ArrayInt64", lambda s: DbValue_ArrayInt64(_parse_array(s, int))),
    NUMERIC_ARRAY: ("ArrayDecimal", lambda s: DbValue_ArrayDecimal(_parse_array(s, str))),
    TEXT_ARRAY: ("ArrayStr", lambda s: DbValue_ArrayStr(_parse_array(s, str))),
    VARCHAR_ARRAY: ("ArrayStr", lambda s: DbValue_ArrayStr(_parse_array(s, str))),
    BPCHAR_ARRAY: ("ArrayStr", lambda s: DbValue_ArrayStr(_parse_array(s, str))),
    INTERVAL: ("Interval", lambda s: DbValue_Interval(_parse_interval(s))),
}
_V2_TYPES = {"Boolean": _rt.DbDataType.BOOLEAN, "Int8": _rt.DbDataType.INT8,
             "Int16": _rt.DbDataType.INT16, "Int32": _rt.DbDataType.INT32,
             "Int64": _rt.DbDataType.INT64, "Floating32": _rt.DbDataType.FLOATING32,
             "Floating64": _rt.DbDataType.FLOATING64, "Str": _rt.DbDataType.STR,
             "Binary": _rt.DbDataType.BINARY}


# Names of built-in types, for DbDataType_Other as Spin words it (the
# type's name); a type outside this list (an enum, a domain...) is
# "oid <n>", since the host does not look names up.
_TYPE_NAMES_BY_OID = {
    16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4",
    24: "regproc", 25: "text", 26: "oid", 27: "tid", 28: "xid", 29: "cid", 114: "json",
    142: "xml", 600: "point", 601: "lseg", 602: "path", 603: "box", 604: "polygon",
    628: "line", 650: "cidr", 700: "float4", 701: "float8", 718: "circle", 774: "macaddr8",
    790: "money", 829: "macaddr", 869: "inet", 1000: "_bool", 1001: "_bytea", 1005: "_int2",
    1007: "_int4", 1009: "_text", 1014: "_bpchar", 1015: "_varchar", 1016: "_int8",
    1021: "_float4", 1022: "_float8", 1042: "bpchar", 1043: "varchar", 1082: "date",
    1083: "time", 1114: "timestamp", 1115: "_timestamp", 1182: "_date", 1184: "timestamptz",
    1185: "_timestamptz", 1186: "interval", 1231: "_numeric", 1266: "timetz", 1560: "bit",
    1562: "varbit", 1700: "numeric", 2249: "record", 2278: "void", 2950: "uuid",
    2951: "_uuid", 3614: "tsvector", 3615: "tsquery", 3802: "jsonb", 3807: "_jsonb",
    3904: "int4range", 3906: "numrange", 3908: "tsrange", 3910: "tstzrange",
    3912: "daterange", 3926: "int8range", 4451: "int4multirange", 4536: "int8multirange",
}


def _converter(oid, rich):
    hit = _CONVERT.get(oid) or (_CONVERT4.get(oid) if rich else None)
    if hit is None:
        if rich:
            name = _TYPE_NAMES_BY_OID.get(oid, f"oid {oid}")
            return DbDataType_Other(name), lambda s: DbValue_Unsupported(
                s.encode("utf-8") if isinstance(s, str) else s)
        return _rt.DbDataType.OTHER, lambda s: DbValue_Unsupported()
    case, fn = hit
    return (globals()["DbDataType_" + case]() if rich else _V2_TYPES[case]), fn


# ---- errors from the host -----------------------------------------------------------------------

_SQL_ERR = re.compile(r"([A-Z]+) ([0-9A-Z]{5}): (.*?)(?:\nDETAIL: (.*))?", re.S)


def _query_failed(message, rich):
    if not rich:
        return _rt.Error_QueryFailed(message)
    m = _SQL_ERR.fullmatch(message)
    if not m:
        return Error_QueryFailed(QueryError_Text(message))
    return Error_QueryFailed(QueryError_DbError(DbError(message, m[1], m[2], m[3], m[4], [])))


def _error(e, op, rich):
    """The Err a host refusal becomes."""
    if op == "open":
        if e.status == _hc.LIMIT:
            return Err(Error_Other(e.message))
        return Err(Error_ConnectionFailed(e.message))
    if e.status == _hc.INVALID:
        if "no open postgres connection" in e.message:
            return Err(Error_Other(e.message))
        return Err(Error_BadParameter(e.message))
    if e.status in (_hc.BACKEND, _hc.TIMEOUT):
        return Err(_query_failed(e.message, rich))
    return Err(Error_Other(e.message))


# ---- the connection -------------------------------------------------------------------------------


class Connection(Closable):
    """A connection to a PostgreSQL server, open until close() (also `with`,
    and the end of the request: a connection never outlives it)."""

    __slots__ = ()
    _close_service = "postgres.close"

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def _open_now(cls, address):
        rich = _mode.is_async()
        if not isinstance(address, str):
            raise TypeError(f"a connection string must be a str, not {type(address).__name__}")
        try:
            (handle,) = _hc.call("postgres.open", address)
        except _hc.HostCallError as e:
            raise _error(e, "open", rich) from None
        return cls(handle)

    @classmethod
    def open(cls, address: str) -> "Connection":
        return _mode.returns(cls._open_now, address)

    @classmethod
    async def open_async(cls, address: str) -> "Connection":
        return cls._open_now(address)

    def _call(self, op, statement, params, rich):
        return _rt.call("postgres." + op, self._handle, statement, params, _param,
                        lambda e: _error(e, op, rich))

    def _query_now(self, statement, params, rich):
        cols, rows = _rt.parse_rows(self._call("query", statement, params, rich))
        convs = [_converter(t, rich) for _, t in cols]
        columns = [Column(n, c[0]) if rich else _rt.Column(n, c[0]) for (n, _), c in zip(cols, convs)]
        out = _rt.convert_rows(rows, convs, (ValueError, IndexError, OverflowError))
        return (RowSet if rich else _rt.RowSet)(columns, out)

    def _execute_now(self, statement, params, rich):
        reply = self._call("execute", statement, params, rich)
        return _rt._U64.unpack_from(reply, 4)[0]

    def query(self, statement: str, params: list):
        """RowSet(columns, rows) (3.x); in 4.0 code, a coroutine giving
        (columns, StreamReader[row], FutureReader[Result])."""
        if _mode.is_async():
            return self.query_async(statement, params)
        return self._query_now(statement, params, False)

    def execute(self, statement: str, params: list):
        """Rows affected."""
        if _mode.is_async():
            return self.execute_async(statement, params)
        return self._execute_now(statement, params, False)

    async def query_async(self, statement: str, params: list):
        rs = self._query_now(statement, params, True)
        return rs.columns, StreamReader(rs.rows), FutureReader(Ok(None))

    async def execute_async(self, statement: str, params: list) -> int:
        return self._execute_now(statement, params, True)
