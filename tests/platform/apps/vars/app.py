"""spin-sdk 3.x component: GET /sync/get?name=NAME answers the variable's
value as JSON, or the error's variant and message; GET /sync/raw?hex=PAYLOAD
sends PAYLOAD straight to the host's vars.get and answers the status."""

import json
from urllib.parse import parse_qs, urlsplit

import _pyedge
from spin_sdk import variables
from spin_sdk.http import IncomingHandler as Base
from spin_sdk.http import Response
from spin_sdk.wit.types import Err


class IncomingHandler(Base):
    def handle_request(self, request):
        u = urlsplit(request.uri)
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        if u.path.endswith("/raw"):
            reply = _pyedge.call("vars.get", bytes.fromhex(q["hex"]))
            doc = {"status": reply[0], "rest": reply[1:].decode("utf-8", "replace")}
        else:
            try:
                v = variables.get(q.get("name", ""))
                doc = {"value": v, "type": type(v).__mro__[-2].__name__}
            except Err as e:
                doc = {"error": type(e.value).__name__, "message": e.value.value}
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
