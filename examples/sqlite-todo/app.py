"""sqlite-todo: a small REST API over Spin's default SQLite database.

    GET    /todos        every todo, oldest first
    GET    /todos/<id>   one todo (404 if there is none)
    POST   /todos        {"title": "...", "done": false} -> 201 and the new todo
    PATCH  /todos/<id>   {"title"?: "...", "done"?: true} -> the updated todo
    DELETE /todos/<id>   204 (404 if there is none)

Written as for Spin's Python SDK (spin-sdk 3.x). Every value reaches SQLite
as a bound parameter (Value_Text, Value_Integer), never inside the SQL text.
"""
import json

from spin_sdk import http, sqlite
from spin_sdk.http import Request, Response
from spin_sdk.sqlite import Value_Integer, Value_Text

SCHEMA = """CREATE TABLE IF NOT EXISTS todos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    done INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)"""

COLUMNS = "id, title, done, created_at"


def reply(status, doc=None):
    if doc is None:
        return Response(status, {}, b"")
    return Response(status, {"content-type": "application/json"}, json.dumps(doc).encode())


def todo(row):
    ident, title, done, created = (v.value for v in row.values)
    return {"id": ident, "title": title, "done": bool(done), "created_at": created}


def parse_body(request, partial):
    """The checked fields of a JSON body, or an error message."""
    try:
        doc = json.loads(request.body or b"")
    except ValueError:
        return None, "the body must be JSON"
    if not isinstance(doc, dict):
        return None, "the body must be a JSON object"
    fields = {}
    if "title" in doc or not partial:
        title = doc.get("title")
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= 500:
            return None, "title must be a string of 1 to 500 characters"
        fields["title"] = title.strip()
    if "done" in doc:
        if not isinstance(doc["done"], bool):
            return None, "done must be true or false"
        fields["done"] = doc["done"]
    unknown = set(doc) - {"title", "done"}
    if unknown:
        return None, f"unknown fields: {', '.join(sorted(unknown))}"
    return fields, None


def find(db, ident):
    rows = db.execute(f"SELECT {COLUMNS} FROM todos WHERE id = ?", [Value_Integer(ident)]).rows
    return todo(rows[0]) if rows else None


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        rest = request.headers.get("spin-path-info", "").strip("/")
        ident = None
        if rest:
            if not rest.isdigit() or len(rest) > 18:
                return reply(404, {"error": "no such todo"})
            ident = int(rest)
        with sqlite.open_default() as db:
            db.execute(SCHEMA, [])
            if ident is None:
                if request.method == "GET":
                    rows = db.execute(f"SELECT {COLUMNS} FROM todos ORDER BY id", []).rows
                    return reply(200, [todo(r) for r in rows])
                if request.method == "POST":
                    fields, problem = parse_body(request, partial=False)
                    if problem:
                        return reply(400, {"error": problem})
                    db.execute("INSERT INTO todos (title, done) VALUES (?, ?)",
                               [Value_Text(fields["title"]),
                                Value_Integer(int(fields.get("done", False)))])
                    created = find(db, db.last_insert_rowid())
                    return Response(201, {"content-type": "application/json",
                                          "location": f"/todos/{created['id']}"},
                                    json.dumps(created).encode())
                return Response(405, {"allow": "GET, POST"}, b"")
            if request.method == "GET":
                found = find(db, ident)
                return reply(200, found) if found else reply(404, {"error": "no such todo"})
            if request.method == "PATCH":
                fields, problem = parse_body(request, partial=True)
                if problem:
                    return reply(400, {"error": problem})
                if find(db, ident) is None:
                    return reply(404, {"error": "no such todo"})
                if "title" in fields:
                    db.execute("UPDATE todos SET title = ? WHERE id = ?",
                               [Value_Text(fields["title"]), Value_Integer(ident)])
                if "done" in fields:
                    db.execute("UPDATE todos SET done = ? WHERE id = ?",
                               [Value_Integer(int(fields["done"])), Value_Integer(ident)])
                return reply(200, find(db, ident))
            if request.method == "DELETE":
                db.execute("DELETE FROM todos WHERE id = ?", [Value_Integer(ident)])
                return reply(204) if db.changes() else reply(404, {"error": "no such todo"})
            return Response(405, {"allow": "GET, PATCH, DELETE"}, b"")
