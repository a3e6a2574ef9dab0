"""An HTTP handler (3.x) and a 4.0 Redis handler in one module, for
test_redis_messages.py: each call must see its own SDK generation."""

from spin_sdk import _mode, http
from spin_sdk.http import Response
from spin_sdk.wit import exports

RECEIVED = []


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        return Response(200, {}, b"async" if _mode.is_async() else b"sync")


class RedisHandler(exports.RedisHandler):
    async def handle_message(self, message: bytes) -> None:
        RECEIVED.append((message, _mode.is_async()))
