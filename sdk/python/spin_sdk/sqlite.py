"""spin_sdk.sqlite: Spin SQLite databases.

    from spin_sdk import sqlite
    from spin_sdk.sqlite import Value_Integer, Value_Text

    # spin-sdk 3.x (class IncomingHandler)
    with sqlite.open_default() as db:
        result = db.execute("SELECT id, title FROM todos WHERE id > ?", [Value_Integer(3)])
        for row in result.rows:
            ident, title = row.values      # Value_Integer, Value_Text

    # spin-sdk 4.0 (class HttpHandler)
    with await sqlite.Connection.open_default() as db:
        columns, rows, status = await db.execute("SELECT 1", [])
        rows = await spin_sdk.util.collect((rows, status))

Which shape a call has follows the app's handler (spin_sdk._mode). A
component may open only the labels listed in its `sqlite_databases`:
"default" is .spin/sqlite_db.db in the state directory, others come from
the runtime config file. See spin_sdk.wit.imports.sqlite for the errors.
"""

from spin_sdk.wit.imports.sqlite import (
    Connection,
    Error,
    Error_AccessDenied,
    Error_DatabaseFull,
    Error_InvalidConnection,
    Error_Io,
    Error_NoSuchDatabase,
    QueryResult,
    RowResult,
    Value,
    Value_Blob,
    Value_Integer,
    Value_Null,
    Value_Real,
    Value_Text,
)
from spin_sdk.wit.imports.sqlite import (  # noqa: F401  spin-sdk 2.0's names, the same classes
    ErrorAccessDenied,
    ErrorDatabaseFull,
    ErrorInvalidConnection,
    ErrorIo,
    ErrorNoSuchDatabase,
    ValueBlob,
    ValueInteger,
    ValueNull,
    ValueReal,
    ValueText,
)

__all__ = ["open", "open_default", "Connection", "QueryResult", "RowResult", "Value",
           "Value_Integer", "Value_Real", "Value_Text", "Value_Blob", "Value_Null", "Error",
           "Error_NoSuchDatabase", "Error_AccessDenied", "Error_InvalidConnection",
           "Error_DatabaseFull", "Error_Io"]


def open(name: str) -> Connection:
    """Opens database `name`; the component must list it in sqlite_databases."""
    return Connection.open(name)


def open_default() -> Connection:
    """Opens the default database."""
    return Connection.open("default")
