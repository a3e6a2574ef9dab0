"""spin-sdk 4.0 style (async) SQLite test component.

GET /v4/roundtrip   creates a table, inserts with parameters, reads back
                    through spin_sdk.util.collect and through the raw stream,
                    and reports last_insert_rowid / changes
"""

import json

from componentize_py_types import Err
from spin_sdk import http, sqlite, util
from spin_sdk.http import Response
from spin_sdk.sqlite import Value_Integer, Value_Text


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        with await sqlite.Connection.open_default() as db:
            await db.execute("CREATE TABLE IF NOT EXISTS v4 (id INTEGER PRIMARY KEY, name TEXT)", [])
            await db.execute("DELETE FROM v4", [])
            await db.execute("INSERT INTO v4 (name) VALUES (?)", [Value_Text("a")])
            await db.execute("INSERT INTO v4 (name) VALUES (?), (?)", [Value_Text("b"), Value_Text("c")])
            rowid = await db.last_insert_rowid()
            changes = await db.changes()
            columns, rows, status = await db.execute(
                "SELECT id, name FROM v4 WHERE id >= ? ORDER BY id", [Value_Integer(1)])
            collected = await util.collect((rows, status))
            columns2, stream, future = await db.execute("SELECT name FROM v4 ORDER BY id", [])
            first = await stream.read(2)
            rest = await stream.read(10)
            done = stream.writer_dropped
            result = await future.read()
            try:
                await db.execute("SELECT * FROM no_such_table", [])
                error = None
            except Err as e:
                error = type(e.value).__name__
        doc = {"columns": columns, "rows": [[v.value for v in r.values] for r in collected],
               "rowid": rowid, "changes": changes, "columns2": columns2,
               "first": [r.values[0].value for r in first], "rest": [r.values[0].value for r in rest],
               "done": done, "result": type(result).__name__, "error": error}
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
