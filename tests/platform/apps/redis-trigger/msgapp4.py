"""spin-sdk 4.0 Redis trigger test component: msgapp.py's records through
the async API (RedisHandler, async handle_message, awaited store calls)."""

import asyncio
import os

from spin_sdk import key_value
from spin_sdk.wit import exports


async def record(message):
    tag = os.environ.get("TAG", "none")
    with await key_value.open_default() as store:
        n = int(await store.get(f"count:{tag}") or b"0") + 1
        await store.set(f"msg:{tag}:{n}", message)
        await store.set(f"count:{tag}", str(n).encode())


class RedisHandler(exports.RedisHandler):
    async def handle_message(self, message: bytes) -> None:
        await asyncio.sleep(0)  # a real await on the sandbox's loop
        if message == b"raise":
            raise ValueError(f"asked to fail by {message!r}")
        if message.startswith(b"print:"):
            print(message[6:].decode())
        await record(message)
