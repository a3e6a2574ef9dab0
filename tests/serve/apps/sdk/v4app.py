"""spin-sdk 4.0 style: an async HttpHandler class that really awaits."""
import asyncio

from spin_sdk import http
from spin_sdk.http import Request, Response

from describe import describe


async def _part(n):
    await asyncio.sleep(0.001 * n)
    return n


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        parts = await asyncio.gather(_part(1), _part(2), _part(3))
        return Response(200, {"content-type": "application/json", "x-style": "v4",
                              "x-gathered": ",".join(map(str, parts))},
                        describe(request, "v4"))
