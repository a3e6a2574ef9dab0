"""A spin_sdk.http handler returning whole responses (the path streaming
must leave as it was): /blob?n=N is N deterministic bytes."""
from urllib import parse

from spin_sdk.http import IncomingHandler as Base
from spin_sdk.http import Request, Response


class IncomingHandler(Base):
    def handle_request(self, request: Request) -> Response:
        url = parse.urlsplit(request.uri)
        n = int(dict(parse.parse_qsl(url.query)).get("n", "0"))
        body = (bytes(range(256)) * (n // 256 + 1))[:n]
        return Response(200, {"content-type": "application/octet-stream"}, body)
