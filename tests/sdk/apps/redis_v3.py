"""spin-sdk 3.x Redis handler for test_redis_messages.py: keeps what it got
in RECEIVED (module state: the test looks at it), raises on b"raise"."""

from spin_sdk import _mode
from spin_sdk.wit import exports

RECEIVED = []


class InboundRedis(exports.InboundRedis):
    def handle_message(self, message: bytes) -> None:
        if message == b"raise":
            raise RuntimeError("asked to fail")
        RECEIVED.append((message, _mode.is_async()))
