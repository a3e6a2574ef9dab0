"""spin_sdk.redis: outbound Redis.

    from spin_sdk import redis

    # spin-sdk 3.x (class IncomingHandler)
    with redis.open("redis://127.0.0.1:6379") as db:
        db.set("greeting", b"hello")
        db.get("greeting")                       # b"hello", or None
        db.execute("INCRBY", [redis.RedisParameter_Binary(b"n"),
                              redis.RedisParameter_Int64(5)])  # [RedisResult_Int64(5)]

    # spin-sdk 4.0 (class HttpHandler)
    with await redis.open("redis://127.0.0.1:6379") as db:
        await db.get("greeting")

The address must be allowed by the component's allowed_outbound_hosts
(`redis://host:port`, the port 6379 when not given). Connections last one
request. Errors: `spin_sdk.wit.types.Err` whose `.value` is an Error_*
variant (spin_sdk.wit.imports.redis says when each is raised).
"""

from spin_sdk.wit.imports.redis import (  # noqa: F401
    Connection,
    Error,
    Error_InvalidAddress,
    Error_Other,
    Error_TooManyConnections,
    Error_TypeError,
    RedisParameter,
    RedisParameter_Binary,
    RedisParameter_Int64,
    RedisResult,
    RedisResult_Binary,
    RedisResult_Int64,
    RedisResult_Nil,
    RedisResult_Status,
)
from spin_sdk.wit.imports.redis import __all__ as _names

__all__ = ["open"] + list(_names)


def open(connection_string: str) -> Connection:
    """Connects to the Redis server at connection_string (an awaitable in a
    spin-sdk 4.0 app)."""
    return Connection.open(connection_string)
