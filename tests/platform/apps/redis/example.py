"""The shape of spin-python-sdk's spin-redis example (spin-sdk 4.0): open a
connection in a `with` block, print a key's value, answer plain text. Only
the address differs: it comes from a component variable, since the test's
Redis listens on a free port."""

from spin_sdk import http, redis, variables
from spin_sdk.http import Request, Response


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        with await redis.open(await variables.get("redis_address")) as db:
            print(await db.get("test"))

        return Response(200, {"content-type": "text/plain"}, bytes("Hello from Python!", "utf-8"))
