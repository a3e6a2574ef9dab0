"""JSON <-> spin_sdk postgres values for the test apps (pgapp.py, pgapp4.py).

A parameter is [case, value]: ["Int32", 5], ["Str", "x"], ["Binary", b64],
["Date", [y, m, d]], ["RangeInt32", [[1, "I"], null]], ["Interval", [us, d, m]],
["DbNull"]. A result value is [class name, value] with bytes as base64,
tuples as lists, bound kinds as "I"/"E", floats that JSON cannot hold as text.
"""

import base64
import math

from componentize_py_types import Err
from spin_sdk.wit.imports import spin_postgres_postgres_4_2_0 as pg
from spin_sdk.wit.imports.rdbms_types import DbDataType

KIND = {"I": pg.RangeBoundKind.INCLUSIVE, "E": pg.RangeBoundKind.EXCLUSIVE}


def param(p):
    case = p[0]
    cls = getattr(pg, "ParameterValue_" + case)
    if case == "DbNull":
        return cls()
    v = p[1]
    if case in ("Binary", "Jsonb"):
        v = base64.b64decode(v)
    elif case in ("Date", "Time", "Datetime"):
        v = tuple(v)
    elif case.startswith("Range"):
        v = tuple(None if b is None else (b[0], KIND[b[1]]) for b in v)
    elif case == "Interval":
        v = pg.Interval(*v)
    elif case == "Floating64" and isinstance(v, str):
        v = float(v)
    return cls(v)


def jsonable(v):
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, pg.RangeBoundKind):
        return "I" if v == pg.RangeBoundKind.INCLUSIVE else "E"
    if isinstance(v, pg.Interval):
        return [v.micros, v.days, v.months]
    return v


def value(v):
    out = [type(v).__name__]
    if hasattr(v, "value"):
        out.append(jsonable(v.value))
    return out


def data_type(t):
    if isinstance(t, DbDataType):
        return t.name
    return type(t).__name__ + (f":{t.value}" if hasattr(t, "value") else "")


def err(e):
    """An Err as JSON: its variant's name and payload (QueryFailed's
    structured DbError flattened)."""
    v = e.value
    doc = {"err": type(v).__name__}
    inner = getattr(v, "value", None)
    if isinstance(inner, str):
        doc["msg"] = inner
    elif inner is not None:
        doc["kind"] = type(inner).__name__
        x = inner.value
        if isinstance(x, str):
            doc["msg"] = x
        else:
            doc.update(msg=x.as_text, severity=x.severity, code=x.code, message=x.message,
                       detail=x.detail)
    return doc


__all__ = ["param", "value", "data_type", "err", "Err"]
