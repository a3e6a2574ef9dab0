"""HttpHandler and a module function: HttpHandler must win."""
from spin_sdk import http
from spin_sdk.http import Response


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        return Response(200, {}, b"HttpHandler")


def handle_request(request):
    return Response(200, {}, b"handle_request")
