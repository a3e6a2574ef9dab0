"""spin_sdk.wit.imports.fermyon_spin_redis: the first Redis interface, one
function per command with the address as the first argument. Each call
opens a connection, runs one command and closes it, as Spin's host does;
every failure is `Err(redis_types.Error.ERROR)` (the host's message is the
exception's note). Synchronous in every spin-sdk generation."""

from typing import List

from spin_sdk.wit.imports.fermyon_spin_redis_2_0_0 import Connection
from spin_sdk.wit.imports.redis_types import Error, RedisParameter, RedisResult
from spin_sdk.wit.types import Err

__all__ = ["publish", "get", "set", "incr", "del_", "sadd", "smembers", "srem", "execute"]


def _once(address, op, *args):
    try:
        with Connection.open(address) as db:
            return getattr(db, op)(*args)
    except Err as e:
        err = Err(Error.ERROR)
        err.add_note(str(e.value))
        for note in getattr(e, "__notes__", ()):
            err.add_note(note)
        raise err from None


def publish(address: str, channel: str, payload: bytes) -> None:
    _once(address, "publish", channel, payload)


def get(address: str, key: str) -> bytes:
    """The value of key; b"" when it has none (this interface has no None)."""
    return _once(address, "get", key) or b""


def set(address: str, key: str, value: bytes) -> None:
    _once(address, "set", key, value)


def incr(address: str, key: str) -> int:
    return _once(address, "incr", key)


def del_(address: str, keys: List[str]) -> int:
    return _once(address, "del_", keys)


def sadd(address: str, key: str, values: List[str]) -> int:
    return _once(address, "sadd", key, values)


def smembers(address: str, key: str) -> List[str]:
    return _once(address, "smembers", key)


def srem(address: str, key: str, values: List[str]) -> int:
    return _once(address, "srem", key, values)


def execute(address: str, command: str, arguments: List[RedisParameter]) -> List[RedisResult]:
    return _once(address, "execute", command, arguments)
