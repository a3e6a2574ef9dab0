"""spin-sdk 4.0 Redis handler for test_redis_messages.py."""

import asyncio

from spin_sdk import _mode
from spin_sdk.wit import exports

RECEIVED = []


class RedisHandler(exports.RedisHandler):
    async def handle_message(self, message: bytes) -> None:
        await asyncio.sleep(0)
        if message == b"raise":
            raise RuntimeError("asked to fail")
        RECEIVED.append((message, _mode.is_async()))
