"""Near misses for the Redis handler search: the base class itself, and a
class with the right name that does not subclass it."""

from spin_sdk.wit import exports

InboundRedis = exports.InboundRedis


class RedisHandler:
    async def handle_message(self, message):
        pass
