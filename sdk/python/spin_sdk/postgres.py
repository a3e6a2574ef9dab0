"""spin_sdk.postgres: outbound PostgreSQL.

    from spin_sdk import postgres
    from spin_sdk.wit.imports.rdbms_types import ParameterValue_Int32

    # spin-sdk 3.x (class IncomingHandler)
    with postgres.open("host=db.example user=app password=x dbname=app") as db:
        rs = db.query("SELECT id, name FROM users WHERE id > $1", [ParameterValue_Int32(3)])
        rs.columns, rs.rows                 # [Column(name, DbDataType)], [[DbValue_*...]]
        db.execute("DELETE FROM users WHERE id = $1", [ParameterValue_Int32(3)])  # rows affected

    # spin-sdk 4.0 (class HttpHandler)
    with await postgres.Connection.open("postgres://app:x@db.example/app") as db:
        columns, rows, result = await db.query("SELECT 1", [])
        rows = await spin_sdk.util.collect((rows, result))

The component's allowed_outbound_hosts must allow postgres://host:port
(5432 when the string gives no port). Which shape a call has follows the
app's handler (spin_sdk._mode). Implementation, values and errors:
spin_sdk.wit.imports.postgres; errors are spin_sdk.wit.types.Err.
"""

from spin_sdk.wit.imports import postgres as _pg

Connection = _pg.Connection
RowSet = _pg.RowSet
DbValue = _pg.DbValue
ParameterValue = _pg.ParameterValue
Column = _pg.Column
Error = _pg.Error

__all__ = ["open", "Connection", "RowSet", "DbValue", "ParameterValue", "Column", "Error"]


def open(connection_string: str) -> Connection:
    """Opens a connection (spin-sdk 3.x; awaitable in 4.0 code)."""
    return Connection.open(connection_string)
