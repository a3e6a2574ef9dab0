"""kv-counter: every GET adds one to a counter kept in Spin's default
key-value store and answers the new count as JSON; DELETE resets it.

Written as for Spin's Python SDK (spin-sdk 3.x). The count survives
restarts: the default store is .spin/sqlite_key_value.db next to spin.toml.
"""
import json

from spin_sdk import http, key_value
from spin_sdk.http import Request, Response

KEY = "count"


def reply(status, doc):
    return Response(status, {"content-type": "application/json", "cache-control": "no-store"},
                    json.dumps(doc).encode())


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        with key_value.open_default() as store:
            if request.method == "GET":
                # get + set is not atomic: two requests at the same moment
                # may both write the same next value (see README.md)
                count = int(store.get(KEY) or b"0") + 1
                store.set(KEY, str(count).encode())
                return reply(200, {"count": count})
            if request.method == "DELETE":
                store.delete(KEY)
                return reply(200, {"count": 0})
        return Response(405, {"allow": "GET, DELETE"}, b"")
