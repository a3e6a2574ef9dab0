"""Names that look like handlers but are not: the base classes themselves,
a class of its own, and a non-callable handle_request."""
from spin_sdk.http import IncomingHandler  # the base itself, not a subclass


class HttpHandler:  # not a subclass of spin_sdk.http.Handler
    async def handle_request(self, request):
        raise AssertionError("never called")


handle_request = "not a function"
