"""spin-sdk 4.0 component: `await variables.get(name)`."""

import json
from urllib.parse import parse_qs, urlsplit

from spin_sdk import variables
from spin_sdk.http import Handler, Response


class HttpHandler(Handler):
    async def handle_request(self, request):
        name = parse_qs(urlsplit(request.uri).query).get("name", [""])[0]
        v = await variables.get(name)
        doc = {"value": v, "exact_str": type(v) is str}
        return Response(200, {"content-type": "application/json"}, json.dumps(doc).encode())
