"""Defines all three handler forms: IncomingHandler must win."""
from spin_sdk import http
from spin_sdk.http import Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        return Response(200, {}, b"IncomingHandler")


class HttpHandler(http.Handler):
    async def handle_request(self, request):
        return Response(200, {}, b"HttpHandler")


def handle_request(request):
    return Response(200, {}, b"handle_request")
