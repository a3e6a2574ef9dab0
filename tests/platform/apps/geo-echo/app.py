"""geo-echo: the x-user-location header this request reached the app with
(null when absent) and the client address, as JSON."""
import json

from spin_sdk.http import Response


def handle_request(request):
    body = {
        "location": request.headers.get("x-user-location"),
        "client": request.headers.get("spin-client-addr"),
    }
    return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())
