"""Tries to leave a file behind for the next request: under /tmp, in the
app directory and in the working directory. The sandbox has no writable
directory, so every write must fail with an OSError (and the handler still
answers), and nothing is there for the next request to find."""
import json
import os

from spin_sdk import http
from spin_sdk.http import Request, Response

TARGETS = ["/tmp/pyedge-serve-isolation.txt", "/app/pyedge-serve-isolation.txt",
           "pyedge-serve-isolation.txt"]


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        result = {}
        for path in TARGETS:
            entry = {"existed": os.path.exists(path)}
            try:
                with open(path, "w") as f:
                    f.write("left behind\n")
                entry["write"] = "ok"
            except OSError as e:
                entry["write"] = type(e).__name__
            result[path] = entry
        return Response(200, {"content-type": "application/json"},
                        json.dumps(result, sort_keys=True).encode())
