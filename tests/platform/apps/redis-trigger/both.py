"""A component with both handlers (tests/platform/test_redis_trigger.py):
messages are recorded as msgapp.py does; GET /count answers the count."""

import os

from spin_sdk import http, key_value
from spin_sdk.http import Response
from spin_sdk.wit import exports

from msgapp import record


class InboundRedis(exports.InboundRedis):
    def handle_message(self, message: bytes) -> None:
        record(key_value.open_default(), message)


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        tag = os.environ.get("TAG", "none")
        n = key_value.open_default().get(f"count:{tag}") or b"0"
        return Response(200, {"content-type": "text/plain"}, n)
