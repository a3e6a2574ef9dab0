"""Reads the component's `files` with open(): GET /read?path=P,
GET /write?path=P (must fail: the files are read-only), GET /list?path=D,
GET /config (config.json, read once at import, before the snapshot)."""
import errno
import json
import os
from urllib.parse import parse_qs, urlsplit

from spin_sdk import http
from spin_sdk.http import Request, Response

with open("/config.json") as f:
    CONFIG = json.load(f)


def reply(status, body, ctype="text/plain"):
    return Response(status, {"content-type": ctype}, body if isinstance(body, bytes) else body.encode())


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        url = urlsplit(request.uri)
        path = parse_qs(url.query).get("path", [""])[0]
        if url.path == "/config":
            return reply(200, json.dumps(CONFIG), "application/json")
        try:
            if url.path == "/read":
                with open(path, "rb") as f:
                    return reply(200, f.read())
            if url.path == "/write":
                with open(path, "w") as f:
                    f.write("x")
                return reply(200, "written")
            if url.path == "/list":
                return reply(200, json.dumps(sorted(os.listdir(path))), "application/json")
        except OSError as e:
            return reply(403 if url.path == "/write" else 404,
                         f"{errno.errorcode.get(e.errno, e.errno)}: {e.strerror}")
        return reply(400, "use /read, /write, /list or /config")
