"""JSON <-> spin_sdk mysql values for the test apps (myapp.py, myapp4.py):
parameters [case, value] (Binary as base64), results [class name, value]."""

import base64

from componentize_py_types import Err
from spin_sdk.wit.imports import rdbms_types as rt


def param(p):
    cls = getattr(rt, "ParameterValue_" + p[0])
    if p[0] == "DbNull":
        return cls()
    v = p[1]
    if p[0] == "Binary":
        v = base64.b64decode(v)
    return cls(v)


def value(v):
    out = [type(v).__name__]
    if hasattr(v, "value"):
        x = v.value
        out.append(base64.b64encode(x).decode() if isinstance(x, bytes) else x)
    return out


def err(e):
    return {"err": type(e.value).__name__, "msg": getattr(e.value, "value", None)}


def run_op(db, op):
    kind, sql, params = op[0], op[1], [param(p) for p in op[2]]
    if kind == "query":
        rs = db.query(sql, params)
        return {"columns": [[c.name, c.data_type.name] for c in rs.columns],
                "rows": [[value(v) for v in row] for row in rs.rows]}
    return {"executed": db.execute(sql, params)}


def ops(mysql, req):
    try:
        db = mysql.open(req["conn"])
    except Err as e:
        return {"open_err": err(e)}
    results = []
    with db:
        for op in req["ops"]:
            try:
                results.append(run_op(db, op))
            except Err as e:
                results.append(err(e))
    return {"results": results}


__all__ = ["ops", "err", "Err"]
